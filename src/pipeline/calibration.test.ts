/**
 * The calibration and validation stages on a small slice of Fashion-MNIST (256 training, 128 test
 * images) with the reference CNN, briefly trained in float first.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import type { EvaluatedProgram } from '../dsl/evaluate';
import { liveTensorCount } from '../engine/tensor';
import { calibrate, calibrationSettings, runCalibration } from './calibration';
import { runValidation, validate } from './validation';
import { qparamsTable } from './qparams_table';
import { MemoryCheckpointStore } from './checkpoints';
import { MisuseError } from './misuse';
import { prepareStageModel } from '../dsl/stage';
import { set_fake_quantize } from '../quant/fake_quant_state';
import { FakeQuantState } from '../quant/types';
import { exampleFiles, loadProgram, smallFashionMnist, stageContext, trainedFloatState } from './testing/stage_fixture';
import { StageCancelled, type StageProgress } from './types';
import type { ImageDataset } from '../data/idx';

const QCONFIG = `
import { defineConfig, default_qat_qconfig_setter } from "horizon_plugin_pytorch/quantization";
export default defineConfig({
  calibration: { qconfig_setter: [default_qat_qconfig_setter], calibrationBatches: 4, batchSize: 32 },
  qat: { qconfig_setter: [default_qat_qconfig_setter], epochs: 1 },
});
`;

let data: { train: ImageDataset; test: ImageDataset };
let program: EvaluatedProgram;
let floatState: Map<string, Float32Array | Int32Array>;
let floatAccuracy: number;

beforeAll(async () => {
  await getTestDevice();
  data = smallFashionMnist(256, 128);
  program = loadProgram({ 'model.ts': exampleFiles('reference_cnn')['model.ts'], 'qconfig.ts': QCONFIG });
  const trained = await trainedFloatState(program, stageContext(data));
  floatState = trained.state;
  floatAccuracy = trained.accuracy;
  // Float training on the software adapter: slow when the machine is busy.
}, 300_000);

describe('calibration stage', () => {
  it('settings come from the defaults, then qconfig.ts, then the caller', () => {
    expect(calibrationSettings(program)).toEqual({ batches: 4, batchSize: 32, trainSubset: 0, seed: 1 });
    expect(calibrationSettings(program, { batches: 2 }).batches).toBe(2);
  });

  it('observes N batches: scales move from 1, the table and checkpoint carry them, validation keeps them and is close to float', async () => {
    const tensorsBefore = liveTensorCount();
    const progress: StageProgress[] = [];
    const store = new MemoryCheckpointStore();
    const { model, result } = await runCalibration(program, stageContext(data, progress), {
      float_state_dict: floatState,
      store,
      progressIntervalMs: 0,
    });
    expect(result.batches).toBe(4);
    expect(result.images).toBe(128);
    expect(progress.at(-1)).toMatchObject({ stage: 'calibration', fraction: 1, step: 4, totalSteps: 4 });
    expect(result.warnings).toEqual([]);

    const byName = new Map(result.layers.map((l) => [l.name, l]));
    expect([...byName.keys()]).toEqual(['quant', 'conv1', 'conv2', 'classifier']);
    for (const name of ['quant', 'conv1', 'conv2']) {
      const l = byName.get(name)!;
      expect(l.dtype).toBe('qint8');
      expect(l.scale).toHaveLength(1);
      expect(l.scale[0]).not.toBe(1);
      expect(l.scale[0]).toBeGreaterThan(0);
      // Symmetric int8: the scale covers the observed range.
      expect(l.scale[0]! * 127.5).toBeCloseTo(Math.max(-l.min!, l.max!), 4);
    }
    expect(byName.get('conv1')!.min).toBeGreaterThanOrEqual(0); // after the fused ReLU
    expect(byName.get('classifier')).toMatchObject({ dtype: 'qint32', weightDtype: 'qint8' });
    expect(byName.get('classifier')!.weightScale).toHaveLength(10);
    expect(byName.get('conv2')!.weightScale).toHaveLength(32);

    const saved = await store.load('calibration');
    expect(saved?.kind).toBe('calibration');
    expect(saved!.tensors['conv1.activation_post_process.scale']!.data[0]).toBe(byName.get('conv1')!.scale[0]);
    expect(saved!.tensors['conv1.activation_post_process.zero_point']!.dtype).toBe('int32');

    // Validation: frozen scales, and the fake-quant model is about as good as the float one.
    const test = await validate(model, data.test);
    expect(test.count).toBe(128);
    expect(await qparamsTable(model)).toEqual(result.layers);
    expect(Math.abs(test.accuracy - floatAccuracy)).toBeLessThan(0.06);

    // The checkpoint in a freshly prepared model gives the same accuracy.
    const again = await runValidation(program, stageContext(data), { of: 'calibration', checkpoint: saved! });
    expect(again.result.test.accuracy).toBe(test.accuracy);
    expect(again.result.test.loss).toBeCloseTo(test.loss, 6);
    again.model.dispose();
    model.dispose();
    // The stage, the readbacks and both models leave nothing behind but the QAT conv+BN's cached unit
    // statistics (made once per channel count: 16 and 32).
    expect(liveTensorCount()).toBeLessThanOrEqual(tensorsBefore + 2);
  });

  it('measures the fake-quant accuracy when asked, ending in VALIDATION', async () => {
    const { model, result } = await runCalibration(program, stageContext(data), {
      float_state_dict: floatState,
      settings: { batches: 2 },
      evaluate: { testSubset: 64 },
    });
    expect(result.batches).toBe(2);
    expect(result.test?.count).toBe(64);
    expect(result.test!.accuracy).toBeGreaterThan(0.3);
    model.dispose();
  });

  it('a fresh model before calibration has every scale at 1; calibrate() moves them', async () => {
    const model = prepareStageModel(program, 'calibration', { float_state_dict: floatState });
    const before = await qparamsTable(model);
    expect(before.filter((l) => l.observer).every((l) => l.scale.every((s) => s === 1) && l.min === undefined)).toBe(true);
    model.eval();
    set_fake_quantize(model, FakeQuantState.CALIBRATION);
    await calibrate(model, stageContext(data), { batches: 1, batchSize: 16 });
    const after = await qparamsTable(model);
    expect(after.filter((l) => l.observer).every((l) => l.scale[0] !== 1 && l.min !== undefined)).toBe(true);
    model.dispose();
  });

  it('calibrate() refuses a model in train mode, naming the fix', async () => {
    const model = prepareStageModel(program, 'calibration', { float_state_dict: floatState });
    model.train();
    await expect(calibrate(model, stageContext(data), { batches: 1 })).rejects.toThrow(MisuseError);
    await expect(calibrate(model, stageContext(data), { batches: 1 })).rejects.toThrow(/train mode.*QAT training in disguise.*Call model\.eval\(\), then set_fake_quantize/);
    model.dispose();
  });

  it("a qconfig.ts setup hook that calls model.eval() after set_fake_quantize is caught before any batch", async () => {
    const qconfig = QCONFIG.replace('calibrationBatches: 4, batchSize: 32 },', 'calibrationBatches: 4, batchSize: 32, setup(model) { model.eval(); } },');
    const hooked = loadProgram({ 'model.ts': exampleFiles('reference_cnn')['model.ts'], 'qconfig.ts': qconfig });
    const progress: StageProgress[] = [];
    const run = runCalibration(hooked, stageContext(data, progress), { float_state_dict: floatState });
    await expect(run).rejects.toThrow(MisuseError);
    await expect(runCalibration(hooked, stageContext(data), { float_state_dict: floatState })).rejects.toThrow(
      /model\.eval\(\) was called after set_fake_quantize: call model\.eval\(\) first, then set_fake_quantize\(model, FakeQuantState\.CALIBRATION\)/,
    );
    expect(progress).toEqual([]);
    hooked.dispose();
  });

  it('stops with StageCancelled when the signal aborts', async () => {
    const controller = new AbortController();
    const ctx = { ...stageContext(data, [], controller.signal), progress: (p: StageProgress) => p.step === 1 && controller.abort() };
    await expect(runCalibration(program, ctx, { float_state_dict: floatState, progressIntervalMs: 0 })).rejects.toBeInstanceOf(StageCancelled);
  });
});
