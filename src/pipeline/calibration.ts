/**
 * The calibration stage, as the Horizon quick start does it:
 *
 *   calib_model = prepare(float_model, {qconfig_setter: <calibration setters of qconfig.ts>})
 *   calib_model.eval()
 *   set_fake_quantize(calib_model, FakeQuantState.CALIBRATION)   // observe only
 *   for (batch of N training batches) no_grad(() => calib_model(batch))
 *   save calib_model.state_dict()                                 // the calibration checkpoint
 *
 * Batches run on the GPU without readback (at most two in flight); the scales are read once at the end
 * for the per-layer table. `calibrate` is the loop on a model the caller set up (checked for the
 * "common problems" misuses); `runCalibration` is the whole stage from the evaluated editor files.
 */
import type { Module } from '../nn/module';
import type { StateDict } from '../nn/state';
import { tidy } from '../engine/tensor';
import { no_grad } from '../engine/autograd';
import { flush } from '../engine/commands';
import { getDevice } from '../engine/device';
import type { EvaluatedProgram } from '../dsl/evaluate';
import { prepareStageModel, runStageSetup } from '../dsl/stage';
import type { PreparedModel } from '../quant/prepare';
import type { CheckResult } from '../quant/check_table';
import { set_fake_quantize } from '../quant/fake_quant_state';
import { FakeQuantState } from '../quant/types';
import { batchIndices, makeBatch, subsetIndices } from './batches';
import { assertReadyForCalibration, MisuseError } from './misuse';
import { qparamsTable, uncalibrated, type LayerQParams } from './qparams_table';
import { checkpointOf, type Checkpoint, type CheckpointStore } from './checkpoints';
import { validate, type ValidationSettings } from './validation';
import { StageCancelled, type EvalResult, type StageContext } from './types';
import { Throughput } from './metrics';

export interface CalibrationSettings {
  /** Batches observed (Horizon's default 100). */
  batches: number;
  batchSize: number;
  /** Images drawn from: the first `trainSubset` of a seeded shuffle of the training set (0 = all). */
  trainSubset: number;
  seed: number;
}

export const CALIBRATION_DEFAULTS: CalibrationSettings = { batches: 100, batchSize: 64, trainSubset: 0, seed: 1 };

export interface CalibrationRun {
  batches: number;
  images: number;
  imagesPerSecond: number;
  seconds: number;
}

const MAX_IN_FLIGHT = 2;

export interface CalibrateOptions {
  /** Milliseconds between progress messages (default 250). */
  progressIntervalMs?: number;
}

/**
 * Runs the calibration batches through a prepared model that is in eval mode with its fake quantizers
 * in CALIBRATION state (throws a MisuseError saying what to call otherwise).
 */
export async function calibrate(model: Module, ctx: StageContext, settings: Partial<CalibrationSettings> = {}, options: CalibrateOptions = {}): Promise<CalibrationRun> {
  const s = { ...CALIBRATION_DEFAULTS, ...settings };
  if (!(s.batches >= 1) || !(s.batchSize >= 1)) throw new Error(`calibration: batches (${s.batches}) and batch size (${s.batchSize}) must be at least 1`);
  assertReadyForCalibration(model);
  const interval = options.progressIntervalMs ?? 250;
  const indices = subsetIndices(ctx.train.count, s.trainSubset, s.seed);
  const order = indices.subarray(0, Math.min(indices.length, s.batches * s.batchSize));
  const total = Math.ceil(order.length / s.batchSize);
  const device = getDevice();
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  const throughput = new Throughput();
  let lastProgress = -Infinity;
  let done = 0;
  const report = (force = false) => {
    const now = performance.now();
    if (!force && now - lastProgress < interval) return;
    lastProgress = now;
    const ips = throughput.imagesPerSecond;
    ctx.progress({
      stage: 'calibration',
      fraction: total > 0 ? done / total : 1,
      step: done,
      totalSteps: total,
      imagesPerSecond: ips,
      etaSeconds: ips > 0 ? ((total - done) * s.batchSize) / ips : undefined,
    });
  };
  try {
    for (const batch of batchIndices(order, s.batchSize)) {
      if (ctx.signal.aborted) throw new StageCancelled('calibration');
      no_grad(() =>
        tidy(() => {
          const { images } = makeBatch(ctx.train, batch);
          model(images);
        }),
      );
      done++;
      const images = Math.min(done * s.batchSize, order.length);
      flush();
      inFlight.push(device.queue.onSubmittedWorkDone().then(() => throughput.completed(images, performance.now())));
      if (inFlight.length > MAX_IN_FLIGHT) await inFlight.shift();
      report();
    }
    await Promise.all(inFlight);
    report(true);
    return { batches: done, images: order.length, imagesPerSecond: throughput.imagesPerSecond, seconds: (performance.now() - started) / 1000 };
  } finally {
    await Promise.allSettled(inFlight);
  }
}

export interface CalibrationStageOptions {
  /** The trained float model's state_dict (without it the model keeps its fresh initialisation). */
  float_state_dict?: StateDict;
  /** Over the qconfig.ts values (calibrationBatches, batchSize) and the defaults. */
  settings?: Partial<CalibrationSettings>;
  /** Also measure the fake-quant test accuracy (VALIDATION state) after calibrating. */
  evaluate?: Partial<ValidationSettings> | false;
  /** Where the checkpoint is saved, under `checkpointKey` (default 'calibration'). */
  store?: CheckpointStore;
  checkpointKey?: string;
  progressIntervalMs?: number;
}

export interface CalibrationResult extends CalibrationRun {
  settings: CalibrationSettings;
  layers: LayerQParams[];
  /** model_check_result of the calibration model. */
  check: CheckResult;
  /** state_dict with observer and fake-quant state, to load into the QAT model. */
  checkpoint: Checkpoint;
  /** Fake-quant test accuracy after calibration, when asked for. */
  test?: EvalResult;
  warnings: string[];
}

/** The settings a calibration runs with: defaults, then qconfig.ts, then the caller's. */
export function calibrationSettings(program: EvaluatedProgram, overrides: Partial<CalibrationSettings> = {}): CalibrationSettings {
  const fromConfig: Partial<CalibrationSettings> = {};
  const config = program.config.calibration;
  if (config.calibrationBatches !== undefined) fromConfig.batches = config.calibrationBatches;
  if (config.batchSize !== undefined) fromConfig.batchSize = config.batchSize;
  return { ...CALIBRATION_DEFAULTS, ...fromConfig, ...overrides };
}

/**
 * The whole stage: prepare with the calibration setters, eval + CALIBRATION, the qconfig.ts setup hook,
 * the batches, the per-layer table and the checkpoint (and, if asked, the fake-quant accuracy). Returns
 * the calibrated model (the caller disposes it); after `evaluate` it is in VALIDATION state.
 */
export async function runCalibration(
  program: EvaluatedProgram,
  ctx: StageContext,
  options: CalibrationStageOptions = {},
): Promise<{ model: PreparedModel; result: CalibrationResult }> {
  const settings = calibrationSettings(program, options.settings);
  const model = prepareStageModel(program, 'calibration', { float_state_dict: options.float_state_dict });
  try {
    model.eval();
    set_fake_quantize(model, FakeQuantState.CALIBRATION);
    runStageSetup(program, 'calibration', model);
    const run = await calibrate(model, ctx, settings, { progressIntervalMs: options.progressIntervalMs });
    const layers = await qparamsTable(model);
    const warnings: string[] = [];
    const stuck = uncalibrated(layers);
    if (stuck.length && stuck.length === layers.filter((l) => l.observer && !l.observer.includes('FixedScaleObserver')).length) {
      throw new MisuseError(
        'eval_after_set_fake_quantize',
        `calibration: after ${run.batches} batches no observer has recorded anything (every scale is still 1): ` +
          'is model.eval() called after set_fake_quantize in the setup hook? Call model.eval() first, then set_fake_quantize(model, FakeQuantState.CALIBRATION).',
      );
    }
    for (const l of stuck) warnings.push(`${l.name}: its observer saw no data during calibration (is it on a path the forward never takes?); its scale is still 1.`);
    const checkpoint = await checkpointOf(model, 'calibration', { settings, batches: run.batches, images: run.images });
    if (options.store) await options.store.save(options.checkpointKey ?? 'calibration', checkpoint);
    const result: CalibrationResult = { ...run, settings, layers, check: model.check_result, checkpoint, warnings };
    if (options.evaluate) {
      result.test = await validate(model, ctx.test, options.evaluate, {
        signal: ctx.signal,
        stage: 'calibration',
        onProgress: (done, total) => ctx.progress({ stage: 'calibration', fraction: 1, message: `evaluating the fake-quant model on ${done}/${total} test images` }),
      });
    }
    return { model, result };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
