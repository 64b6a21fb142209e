import { beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES } from '../../dsl/examples';
import { liveTensorCount } from '../../engine/tensor';
import { loadFashionMnist } from '../../pipeline/testing/fashion_mnist';
import type { StageProgress } from '../../pipeline/types';
import { emptyOverrides } from '../../store/settings';
import { getTestDevice } from '../../testing/gpu';
import { ArtifactStore } from '../artifacts';
import { histogramOf } from '../histogram';
import { ACTIVATION_IMAGES, activationHistogram } from '../activations';
import type { Checkpoint } from '../../pipeline/checkpoints';
import type { StageRequest } from '../results';
import type { StageEnv } from '../stages';
import { WorkerState } from '../state';
import { runCalibrationStage } from './calibration';
import { runFloat } from './float';
import { runQatStage } from './qat';
import { runValidationStage } from './validation';
import { runCheckStage } from './check';
import { runCompileStage } from './compile';
import { runConvertStage } from './convert';
import { runFixedStage } from './fixed';

let state: WorkerState;

beforeAll(async () => {
  await getTestDevice();
  const data = loadFashionMnist();
  state = new WorkerState();
  (state as unknown as { datasets: () => typeof data }).datasets = () => data;
});

const files = EXAMPLES[0]!.files;
const tiny = {
  ...emptyOverrides(),
  data: { trainSubset: 192, testSubset: 128 },
  float: { epochs: 1, batchSize: 64 },
  calibration: { calibrationBatches: 2 },
  qat: { epochs: 1, batchSize: 64 },
};

function env(progress: StageProgress[] = [], signal = new AbortController().signal): StageEnv & { artifacts: ArtifactStore } {
  return { state, artifacts: new ArtifactStore(null), signal, progress: (p) => progress.push(p), transfer: () => {} };
}

describe('the stages in the worker', () => {
  it('float → calibration → validation → QAT → convert → fixed → check → compile on a tiny subset, each building on the one before', { timeout: 400_000 }, async () => {
    const progress: StageProgress[] = [];
    const e = env(progress);
    const before = liveTensorCount();
    const request: StageRequest = { files, settings: tiny, runId: 'float-t1', inputs: {} };
    const result = await runFloat(request, e);
    expect(result).toMatchObject({ runId: 'float-t1', epochs: 1, steps: 3, test: { count: 128 } });
    expect(result.settings).toMatchObject({ trainSubset: 192, testSubset: 128, epochs: 1, batchSize: 64, lr: 0.05, momentum: 0.9 });
    expect(result.accuracy).toBeGreaterThan(0.15);
    expect(result.imagesPerSecond).toBeGreaterThan(0);
    expect(result.modelBytes).toBe(20_586 * 4);
    expect(progress.some((p) => p.stage === 'float' && p.fraction > 0)).toBe(true);
    // Every model made for the run is freed; the weights live on as plain data.
    expect(liveTensorCount()).toBe(before);
    const checkpoint = await e.artifacts.get<Checkpoint>('float', 'float-t1');
    expect(Object.keys(checkpoint.tensors)).toContain('conv1.weight');
    expect(checkpoint.tensors['classifier.weight']!.shape).toEqual([10, 1568]);
    const h = histogramOf(checkpoint, { stage: 'float', runId: 'float-t1', layer: 'conv1', kind: 'weight', bins: 32 });
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(144);

    const calibration = await runCalibrationStage({ files, settings: tiny, runId: 'cal-1', inputs: { float: 'float-t1' } }, e);
    expect(calibration).toMatchObject({ runId: 'cal-1', batches: 2, images: 128, warnings: [] });
    // The first calibration makes two tensors the quantization kernels keep for good; after it, nothing may grow.
    const settled = liveTensorCount();
    expect(calibration.accuracy).toBeGreaterThan(0.15);
    const conv1 = calibration.layers.find((l) => l.name === 'conv1')!;
    expect(conv1).toMatchObject({ dtype: 'qint8', weightDtype: 'qint8' });
    expect(conv1.scale[0]).toBeGreaterThan(0);
    expect(conv1.weightScale).toHaveLength(16);
    // int8 weights and int32 biases instead of float32: about a quarter of the float size.
    expect(calibration.modelBytes).toBeLessThan(result.modelBytes / 3);
    const grid = histogramOf(await e.artifacts.get('calibration', 'cal-1'), { stage: 'calibration', runId: 'cal-1', layer: 'conv1', kind: 'weight', bins: 32 }).grid;
    expect(grid).toMatchObject({ quantMin: -128, quantMax: 127 });
    // conv1's outputs (conv + BN + ReLU, fake-quantized) on 64 test images, with its output grid.
    const activations = await activationHistogram(
      files,
      await e.artifacts.get('calibration', 'cal-1'),
      { stage: 'calibration', runId: 'cal-1', layer: 'conv1', kind: 'activation', bins: 32 },
      state.datasets().test,
    );
    expect(activations.counts.reduce((a, b) => a + b, 0)).toBe(ACTIVATION_IMAGES * 16 * 28 * 28);
    expect(activations.min).toBeGreaterThanOrEqual(0);
    expect(activations.grid).toMatchObject({ dtype: 'qint8', quantMin: -128, quantMax: 127 });
    expect(activations.max).toBeLessThanOrEqual(127 * activations.grid!.scale + 1e-6);

    const validation = await runValidationStage({ files, settings: tiny, runId: 'val-1', inputs: { calibration: 'cal-1' } }, e);
    // The same model, checkpoint and test images: the accuracy calibration measured.
    expect(validation).toMatchObject({ of: 'calibration', accuracy: calibration.accuracy, test: { count: 128 } });

    const qat = await runQatStage({ files, settings: tiny, runId: 'qat-1', inputs: { calibration: 'cal-1' } }, e);
    expect(qat).toMatchObject({ runId: 'qat-1', epochs: 1, steps: 3, test: { count: 128 } });
    expect(qat.settings).toMatchObject({ lr: 0.001, optimizer: 'sgd', trainSubset: 192 });
    expect(qat.layers!.find((l) => l.name === 'classifier')).toMatchObject({ dtype: 'qint32', weightDtype: 'qint8' });
    expect(await e.artifacts.has('qat', 'qat-1')).toBe(true);
    await expect(runQatStage({ files, settings: tiny, runId: 'qat-2', inputs: {} }, e)).rejects.toThrow('calibration result missing');

    const converted = await runConvertStage({ files, settings: tiny, runId: 'cv-1', inputs: { qat: 'qat-1' } }, e);
    expect(converted).toMatchObject({ from: 'qat', requantMode: 'multiplier' });
    expect(converted.ops).toBeGreaterThan(5);
    // Integer weights, int32 biases and requantization constants: far smaller than float32.
    expect(converted.modelBytes).toBeLessThan(result.modelBytes / 3);
    expect(converted.layers.find((l) => l.weightDtype === 'qint8')).toBeDefined();

    const fixed = await runFixedStage({ files, settings: tiny, runId: 'fx-1', inputs: { convert: 'cv-1' } }, e);
    expect(fixed).toMatchObject({ backend: 'webgpu', test: { count: 128 } });
    expect(Math.abs(fixed.accuracy - qat.accuracy)).toBeLessThan(0.05);
    expect(fixed.layers.length).toBeGreaterThan(0);
    // int8 outputs differ from fake quant by a few LSB at most (rounding of the requantization).
    const int8 = fixed.layers.filter((l) => l.dtype === 'qint8');
    expect(int8.length, JSON.stringify(fixed.layers)).toBeGreaterThan(0);
    expect(Math.max(...int8.map((l) => l.maxLsb ?? 0)), JSON.stringify(fixed.layers)).toBeLessThan(4);

    const check = await runCheckStage({ files, settings: tiny, runId: 'ck-1', inputs: { convert: 'cv-1' } }, e);
    expect(check).toMatchObject({ march: 'bayes', passed: true });
    expect(check.layers.find((l) => l.type === 'conv2d')).toMatchObject({ dtype: 'qint8', weightDtype: 'qint8' });
    expect(check.report).toContain('bayes');

    const compiled = await runCompileStage({ files, settings: tiny, runId: 'cp-1', inputs: { convert: 'cv-1', check: 'ck-1' } }, e);
    const names = compiled.files.map((f) => f.name);
    expect(names.some((n) => n.endsWith('.qatm'))).toBe(true);
    expect(names.some((n) => n.endsWith('.onnx'))).toBe(true);
    expect(names.some((n) => n.endsWith('.py'))).toBe(true);
    for (const f of compiled.files) expect(f.data.byteLength).toBe(f.bytes);
    expect(liveTensorCount()).toBe(settled);
  });

  it('locates an error in forward at its line of model.ts', async () => {
    // Shapes that do not fit fail at the layer that receives them.
    const model = files['model.ts'].replace('x = torch.flatten(x, 1);', 'x = torch.flatten(x, 1);\n    x = x.reshape([-1, 7]);');
    const line = model.split('\n').findIndex((l) => l.includes('x = this.classifier(x)')) + 1;
    const error = await runFloat({ files: { ...files, 'model.ts': model }, settings: tiny, runId: 'bad', inputs: {} }, env()).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(new RegExp(`^model\\.ts:${line}:\\d+: `));
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await runFloat({ files, settings: tiny, runId: 'c', inputs: {} }, env([], controller.signal)).catch((e: Error) => e);
    expect((error as Error).message).toBe('float: cancelled');
  });
});
