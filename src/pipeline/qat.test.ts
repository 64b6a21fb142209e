/**
 * The QAT stage on a small slice of Fashion-MNIST (256 training, 128 test images): Horizon's default
 * hyperparameters, the calibration checkpoint loaded, accuracy after QAT, a frozen backbone, NaN losses
 * named by step and layer, misuse and cancellation.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import type { EvaluatedProgram } from '../dsl/evaluate';
import { prepareStageModel } from '../dsl/stage';
import type { Module } from '../nn/module';
import type { Tensor } from '../engine/tensor';
import { set_fake_quantize } from '../quant/fake_quant_state';
import { FakeQuantState } from '../quant/types';
import { runCalibration } from './calibration';
import { NonFiniteLossError, qatDefaults, qatSettings, runQat, trainQat } from './qat';
import { MemoryCheckpointStore, type Checkpoint } from './checkpoints';
import { MisuseError } from './misuse';
import { qparamsTable } from './qparams_table';
import { FLOAT_SETTINGS, exampleFiles, loadProgram, smallFashionMnist, stageContext, trainedFloatState } from './testing/stage_fixture';
import { StageCancelled, type StageProgress, type TrainSettings } from './types';
import type { ImageDataset } from '../data/idx';

const QCONFIG = `
import { defineConfig, default_qat_qconfig_setter } from "horizon_plugin_pytorch/quantization";
export default defineConfig({
  calibration: { qconfig_setter: [default_qat_qconfig_setter], calibrationBatches: 4, batchSize: 32 },
  qat: { qconfig_setter: [default_qat_qconfig_setter] },
});
`;

// The gallery's freeze_backbone setup, with a MinMax calibration (fast on the software adapter).
const FREEZE_QCONFIG = `
import { defineConfig, default_qat_qconfig_setter, set_fake_quantize, FakeQuantState } from "horizon_plugin_pytorch/quantization";
export default defineConfig({
  calibration: { qconfig_setter: [default_qat_qconfig_setter], calibrationBatches: 2, batchSize: 32 },
  qat: {
    qconfig_setter: [default_qat_qconfig_setter],
    setup(model) {
      model.backbone.requires_grad_(false);
      model.backbone.eval();
      set_fake_quantize(model.backbone, FakeQuantState.VALIDATION);
      set_fake_quantize(model.head, FakeQuantState.QAT);
    },
  },
});
`;

let data: { train: ImageDataset; test: ImageDataset };
let program: EvaluatedProgram;
let floatState: Map<string, Float32Array | Int32Array>;
let floatAccuracy: number;
let calibration: Checkpoint;

const FLOAT: TrainSettings = { ...FLOAT_SETTINGS, epochs: 10 };

beforeAll(async () => {
  await getTestDevice();
  data = smallFashionMnist(256, 128);
  program = loadProgram({ 'model.ts': exampleFiles('reference_cnn')['model.ts'], 'qconfig.ts': QCONFIG });
  const trained = await trainedFloatState(program, stageContext(data));
  floatState = trained.state;
  floatAccuracy = trained.accuracy;
  const calibrated = await runCalibration(program, stageContext(data), { float_state_dict: floatState });
  calibration = calibrated.result.checkpoint;
  calibrated.model.dispose();
  // Float training and calibration on the software adapter: slow when the machine is busy.
}, 300_000);

describe('QAT settings', () => {
  it("Horizon's table: SGD, lr 0.001 decayed ×0.1 twice over the run, 10% of the float epochs (at least 1), weight decay as float", () => {
    const d = qatDefaults({ ...FLOAT, epochs: 30, weightDecay: 1e-4, optimizer: 'adam', lr: 0.1 });
    expect(d).toMatchObject({ epochs: 3, lr: 0.001, optimizer: 'sgd', schedule: 'step', stepSize: 1, gamma: 0.1, weightDecay: 1e-4, momentum: 0.9, batchSize: 32 });
    expect(qatDefaults({ ...FLOAT, epochs: 3 }).epochs).toBe(1);
    expect(qatDefaults({ ...FLOAT, epochs: 3 }).stepSize).toBeCloseTo(1 / 3);
    // qconfig.ts's qat values, then the caller's.
    const withConfig = loadProgram({ 'model.ts': exampleFiles('reference_cnn')['model.ts'], 'qconfig.ts': exampleFiles('reference_cnn')['qconfig.ts'] });
    expect(qatSettings(withConfig, { ...FLOAT, epochs: 30 })).toMatchObject({ epochs: 1, lr: 0.001, stepSize: 1 / 3 });
    expect(qatSettings(withConfig, FLOAT, { epochs: 6 })).toMatchObject({ epochs: 6, stepSize: 2 });
    withConfig.dispose();
  });
});

describe('QAT stage', () => {
  it('loads the calibration checkpoint, trains with fake quantization, and validates well above chance', async () => {
    const progress: StageProgress[] = [];
    const store = new MemoryCheckpointStore();
    const { model, result } = await runQat(program, stageContext(data, progress), {
      float_state_dict: floatState,
      calibration,
      float: FLOAT,
      store,
      train: { logEvery: 1, progressIntervalMs: 0 },
    });
    expect(result.loaded).toEqual({ missing: [], unexpected: [] });
    expect(result.settings).toMatchObject({ epochs: 1, lr: 0.001, optimizer: 'sgd' });
    expect(result.steps).toBe(8);
    // lr decayed twice within the one epoch: steps at fractional epochs 0..0.25, 0.375..0.625, 0.75..0.875.
    const lrs = result.history.map((h) => h.lr);
    [1e-3, 1e-3, 1e-3, 1e-4, 1e-4, 1e-4, 1e-5, 1e-5].forEach((v, i) => expect(lrs[i]).toBeCloseTo(v, 12));
    expect(result.history.every((h) => Number.isFinite(h.loss))).toBe(true);
    expect(result.test.count).toBe(128);
    expect(result.test.accuracy).toBeGreaterThan(0.35);
    expect(Math.abs(result.test.accuracy - floatAccuracy)).toBeLessThan(0.08);
    expect(progress.some((p) => p.stage === 'qat' && p.imagesPerSecond! > 0 && p.loss !== undefined)).toBe(true);

    // Weights moved from the calibration checkpoint; activation scales started from it.
    const w = (await (model.state_dict().get('conv2.conv.weight') as Tensor).read()) as Float32Array;
    const w0 = calibration.tensors['conv2.conv.weight']!.data;
    expect(w.some((v, i) => v !== w0[i])).toBe(true);
    const table = await qparamsTable(model);
    const conv1 = table.find((l) => l.name === 'conv1')!;
    const calibratedScale = calibration.tensors['conv1.activation_post_process.scale']!.data[0]!;
    // The QAT observers continue the calibration's moving average (averaging_constant 0.01): close, not equal.
    expect(Math.abs(conv1.scale[0]! / calibratedScale - 1)).toBeLessThan(0.2);
    expect((await store.load('qat'))?.kind).toBe('qat');
    model.dispose();
  });

  it('freezing a backbone: its weights, BN statistics and scales stay; the head trains', async () => {
    const freeze = loadProgram({ 'model.ts': exampleFiles('freeze_backbone')['model.ts'], 'qconfig.ts': FREEZE_QCONFIG });
    const calibrated = await runCalibration(freeze, stageContext(data));
    const before = calibrated.result.checkpoint;
    calibrated.model.dispose();
    const { model, result } = await runQat(freeze, stageContext(data), {
      calibration: before,
      float: FLOAT,
      settings: { lr: 0.05, trainSubset: 128 },
      train: { logEvery: 4 },
    });
    expect(result.steps).toBe(4);
    const after = model.state_dict();
    const changed: string[] = [];
    for (const [name, t] of after) {
      const a = Array.from(await (t as Tensor).read());
      const b = Array.from(before.tensors[name]!.data);
      if (a.some((v, i) => !Object.is(v, b[i]))) changed.push(name);
    }
    expect(changed.filter((n) => n.startsWith('backbone.'))).toEqual([]);
    expect(changed).toEqual(expect.arrayContaining(['head.fc1.linear.weight', 'head.fc1.linear.bias', 'head.fc2.weight', 'head.fc2.bias']));
    // The head's weight scales follow its weights (QAT), the backbone's were frozen (VALIDATION).
    expect(changed).toContain('head.fc1.weight_fake_quant.scale');
    expect(result.warnings).toEqual([]);
    model.dispose();
    freeze.dispose();
  });

  it('a NaN loss stops the stage naming the step and the first layer that went non-finite', async () => {
    const model = prepareStageModel(program, 'qat', { float_state_dict: floatState });
    model.load_state_dict(new Map(Object.entries(calibration.tensors).map(([k, v]) => [k, v.data])), false);
    model.train();
    set_fake_quantize(model, FakeQuantState.QAT);
    const plant = (step: number, m: Module) => {
      // Before step 3 one classifier bias becomes NaN (as a bad update would leave it).
      if (step === 3) {
        const bias = m.state_dict().get('classifier.bias') as Tensor;
        bias.assign([0, 0, 0, NaN, 0, 0, 0, 0, 0, 0]);
      }
    };
    const settings = qatSettings(program, FLOAT, { trainSubset: 160 });
    const run = trainQat(model, stageContext(data), settings, { logEvery: 4, beforeStep: plant });
    await expect(run).rejects.toThrow(NonFiniteLossError);
    const error = (await run.catch((e: unknown) => e)) as NonFiniteLossError;
    expect(error.step).toBe(3);
    // The state before step 3 was put back: step 3's update had spread NaN to every layer since.
    expect(error.origin?.module).toBe('classifier');
    expect(error.origin?.type).toBe('Linear');
    expect(error.message).toMatch(/^qat: the loss became NaN at step 3\. The first non-finite value appeared in layer classifier \(Linear\): its output has 32 NaN of 320 values \(its inputs were finite\)/);
    expect(error.message).toMatch(/Already non-finite before the step: classifier\.bias \(1 NaN of 10 values\)\./);
    expect(error.message).toMatch(/Lower the learning rate/);
    model.dispose();
  });

  it('trainQat refuses a model in eval mode (QAT in eval mode) with what to call', async () => {
    const model = prepareStageModel(program, 'qat', { float_state_dict: floatState });
    model.train();
    set_fake_quantize(model, FakeQuantState.QAT);
    model.eval();
    await expect(trainQat(model, stageContext(data), qatSettings(program, FLOAT))).rejects.toThrow(MisuseError);
    await expect(trainQat(model, stageContext(data), qatSettings(program, FLOAT))).rejects.toThrow(/call model\.train\(\), then set_fake_quantize\(model, FakeQuantState\.QAT\)/);
    model.dispose();
  });

  it('stops with StageCancelled when the signal aborts', async () => {
    const controller = new AbortController();
    const ctx = { ...stageContext(data, [], controller.signal), progress: (p: StageProgress) => p.step === 2 && controller.abort() };
    await expect(runQat(program, ctx, { float_state_dict: floatState, calibration, float: FLOAT, train: { progressIntervalMs: 0 } })).rejects.toBeInstanceOf(StageCancelled);
  });
});
