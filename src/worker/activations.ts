/**
 * Histograms of a layer's activations: the model of a stage's checkpoint runs one batch of test images
 * (no grad, eval; fake-quant models in VALIDATION) while a module-call hook keeps the layer's output,
 * which is read back and binned with the layer's output quantization grid and clip range. The float
 * model is traced and fused like the prepared one, so a layer is the same fused op in every stage.
 */
import type { ImageDataset } from '../data/idx';
import { prepareStageModel, traceModel } from '../dsl/index';
import { no_grad } from '../engine/autograd';
import { Tensor, keep, tidy } from '../engine/tensor';
import { setModuleCallHook, type Module } from '../nn/module';
import { makeBatch } from '../pipeline/batches';
import { loadCheckpoint, stateDictOf, type Checkpoint } from '../pipeline/checkpoints';
import { set_fake_quantize } from '../quant/fake_quant_state';
import { FakeQuantState } from '../quant/types';
import { binValues, DTYPE_RANGES } from './histogram';
import { ACTIVATION_IMAGES, type HistogramParams, type HistogramResult, type SourceTexts } from './results';
import { disposeAll, loadProgram } from './runners/common';

export { ACTIVATION_IMAGES };

export async function activationHistogram(files: SourceTexts, checkpoint: Checkpoint, params: HistogramParams, test: ImageDataset): Promise<HistogramResult> {
  const program = loadProgram({ files, settings: {} as never, runId: '', inputs: {} });
  const made: (Module | null)[] = [program.model];
  try {
    let model: Module;
    if (params.stage === 'float') {
      const float = program.createModel();
      made.push(float);
      float.load_state_dict(stateDictOf(checkpoint));
      const traced = traceModel(float, { fuse: true });
      if (!traced.ok) throw new Error(`${traced.diagnostics[0]?.message ?? 'the model does not trace'}`);
      model = traced.graph;
    } else {
      model = prepareStageModel(program, params.stage);
      made.push(model);
      loadCheckpoint(model, checkpoint, `${params.stage} checkpoint (for the activation histogram)`);
      model.eval();
      set_fake_quantize(model, FakeQuantState.VALIDATION);
    }
    model.eval();
    const target = (() => {
      try {
        return (model as unknown as { get_submodule(path: string): Module }).get_submodule(params.layer);
      } catch {
        throw new Error(`Layer '${params.layer}' is not in the ${params.stage} model (did the code change since it ran?)`);
      }
    })();
    const count = Math.min(ACTIVATION_IMAGES, test.count);
    let output: Tensor | null = null;
    const previous = setModuleCallHook((module, method, _args, run) => {
      const result = run();
      if (module === target && method === 'forward' && result instanceof Tensor) output = keep(result);
      return result;
    });
    try {
      no_grad(() =>
        tidy(() => {
          const { images } = makeBatch(test, Array.from({ length: count }, (_, i) => i));
          model(images);
        }),
      );
    } finally {
      setModuleCallHook(previous);
    }
    const captured = output as Tensor | null;
    if (!captured) throw new Error(`Layer '${params.layer}' did not run in forward, so it has no activations`);
    let values: Float32Array;
    try {
      values = Float32Array.from(await captured.read());
    } finally {
      captured.dispose();
    }
    const scale = checkpoint.tensors[`${params.layer}.activation_post_process.scale`];
    const zeroPoint = checkpoint.tensors[`${params.layer}.activation_post_process.zero_point`];
    const dtype = (checkpoint.meta.outputDtypes as Record<string, string> | undefined)?.[params.layer] ?? 'qint8';
    const range = DTYPE_RANGES[dtype];
    const grid =
      params.stage !== 'float' && scale && zeroPoint && range && scale.data.length === 1
        ? { scale: Number(scale.data[0]), zeroPoint: Number(zeroPoint.data[0]), quantMin: range[0], quantMax: range[1], dtype }
        : null;
    return { ...binValues(values, grid, params.bins), layer: params.layer, kind: 'activation' };
  } finally {
    disposeAll(made);
  }
}
