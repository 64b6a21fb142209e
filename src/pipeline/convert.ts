/**
 * The convert stage, as the Horizon flow does it after QAT (or after calibration alone):
 *
 *   qat_model = prepare(float_model, {qconfig_setter}); qat_model.load_state_dict(checkpoint)
 *   qat_model.eval(); set_fake_quantize(qat_model, FakeQuantState.VALIDATION)
 *   quantized_model = convert(qat_model)          // here: the IntegerModel (src/fixed/convert.ts)
 *
 * Returns the integer model with a per-layer summary (dtypes, scales, zero points), and the prepared model
 * it came from (in VALIDATION state; the fixed stage compares the two per layer). The caller disposes it.
 */
import type { EvaluatedProgram } from '../dsl/evaluate';
import { prepareStageModel, type QuantStage } from '../dsl/stage';
import type { StateDict } from '../nn/state';
import type { PreparedModel } from '../quant/prepare';
import { set_fake_quantize } from '../quant/fake_quant_state';
import { FakeQuantState } from '../quant/types';
import { convert, type ConvertResult } from '../fixed/convert';
import type { IntegerModel } from '../fixed/model';
import type { RequantMode } from '../fixed/requant';
import { loadCheckpoint, type Checkpoint } from './checkpoints';
import { StageCancelled, type StageContext } from './types';

export interface ConvertSettings {
  /** 'multiplier' (integer multiplier and shift, as a chip) or 'float' (as qnnpack / ONNX Runtime). */
  requantMode: RequantMode;
}

export const CONVERT_DEFAULTS: ConvertSettings = { requantMode: 'multiplier' };

export interface ConvertStageOptions {
  /** Which stage's checkpoint is converted (its qconfig prepares the model it loads into). */
  of: QuantStage;
  checkpoint: Checkpoint;
  float_state_dict?: StateDict;
  settings?: Partial<ConvertSettings>;
}

/** One value of the integer model, for the per-layer table. */
export interface IntegerLayer {
  /** The op (and value) name: the layer's module path. */
  name: string;
  op: string;
  dtype: string;
  shape: number[];
  scale: number[];
  zeroPoint: number;
  weightDtype: string | null;
  weightScale: number[] | null;
}

export interface ConvertStageResult {
  of: QuantStage;
  settings: ConvertSettings;
  converted: ConvertResult;
  ops: number;
  /** Bytes of the integer model's tensors: weights, biases (int32) and requantization constants. */
  modelBytes: number;
  layers: IntegerLayer[];
  notes: string[];
  seconds: number;
}

/** Bytes a chip would hold: weights at their width, int32 biases, one int32 multiplier and shift per channel. */
export function integerModelBytes(model: IntegerModel): number {
  let bytes = 0;
  for (const op of model.ops) {
    if (op.kind === 'conv2d' || op.kind === 'linear') {
      bytes += op.weight.byteLength + (op.bias?.byteLength ?? 0) + (op.requant ? op.requant.multiplier.length * 8 : 0);
      if (op.residualRequant) bytes += op.residualRequant.multiplier.length * 8;
    } else if (op.kind === 'add') bytes += 16;
    else if (op.kind === 'requantize' || op.kind === 'avg_pool2d') bytes += op.requant.multiplier.length * 8;
  }
  return bytes;
}

export function integerLayers(model: IntegerModel): IntegerLayer[] {
  const values = new Map(model.values.map((v) => [v.name, v]));
  return model.ops.map((op) => {
    const v = values.get(op.output)!;
    const weighted = op.kind === 'conv2d' || op.kind === 'linear' ? op : null;
    return {
      name: op.name,
      op: op.kind,
      dtype: v.dtype === 'float32' ? 'float32' : (v.qdtype ?? v.dtype),
      shape: [...v.shape],
      scale: [...(v.scale ?? [])],
      zeroPoint: (v.zeroPoint ?? 0) - (v.qdtype === 'quint8' ? -128 : 0),
      weightDtype: weighted ? (weighted.weightDtype === 'int8' ? 'qint8' : 'qint16') : null,
      weightScale: weighted ? [...weighted.weightScale] : null,
    };
  });
}

export async function runConvert(
  program: EvaluatedProgram,
  ctx: Pick<StageContext, 'test' | 'signal' | 'progress'>,
  options: ConvertStageOptions,
): Promise<{ model: PreparedModel; result: ConvertStageResult }> {
  const started = performance.now();
  const settings = { ...CONVERT_DEFAULTS, ...options.settings };
  const model = prepareStageModel(program, options.of, { float_state_dict: options.float_state_dict });
  try {
    loadCheckpoint(model, options.checkpoint, `${options.of} checkpoint`);
    model.eval();
    set_fake_quantize(model, FakeQuantState.VALIDATION);
    if (ctx.signal.aborted) throw new StageCancelled('convert');
    ctx.progress({ stage: 'convert', fraction: 0.5, message: `converting the ${options.of} model to fixed point` });
    const converted = await convert(model, { mode: settings.requantMode, input_shapes: model.graph.placeholders.map(() => ctx.test.imageShape) });
    ctx.progress({ stage: 'convert', fraction: 1, message: `${converted.model.ops.length} integer ops` });
    return {
      model,
      result: {
        of: options.of,
        settings,
        converted,
        ops: converted.model.ops.length,
        modelBytes: integerModelBytes(converted.model),
        layers: integerLayers(converted.model),
        notes: converted.notes,
        seconds: (performance.now() - started) / 1000,
      },
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
