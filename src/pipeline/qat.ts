/**
 * The QAT stage, as the Horizon quick start does it:
 *
 *   qat_model = prepare(float_model, {qconfig_setter: <QAT setters of qconfig.ts>})
 *   qat_model.load_state_dict(calibration checkpoint)     // names match: both are prepared the same way
 *   qat_model.train()
 *   set_fake_quantize(qat_model, FakeQuantState.QAT)      // observe and fake-quantize
 *   setup(qat_model)                                      // qconfig.ts hook: e.g. freeze a backbone
 *   train (SGD, lr 0.001 decayed ×0.1 twice, ~10% of the float epochs, weight decay as float)
 *   qat_model.eval(); set_fake_quantize(qat_model, FakeQuantState.VALIDATION); test-set accuracy
 *
 * The training loop differs from the float one in three ways: it leaves train/eval modes as the caller
 * set them (a frozen backbone stays in eval), the lr schedule is evaluated per step at the fractional
 * epoch (so "decay twice" also works within a single epoch), and a NaN/Inf loss stops the stage with
 * the step and the first layer whose output went non-finite (nonfinite.ts; nothing is read back in a
 * normal step beyond the periodic metrics).
 */
import type { Module } from '../nn/module';
import type { StateDict } from '../nn/state';
import { manual_seed } from '../nn/init';
import { tidy } from '../engine/tensor';
import { backward } from '../engine/autograd';
import { cross_entropy_with_stats } from '../engine/functional';
import { flush } from '../engine/commands';
import { getDevice } from '../engine/device';
import type { EvaluatedProgram } from '../dsl/evaluate';
import { prepareStageModel, runStageSetup } from '../dsl/stage';
import type { PreparedModel } from '../quant/prepare';
import type { CheckResult } from '../quant/check_table';
import { set_fake_quantize } from '../quant/fake_quant_state';
import { FakeQuantState } from '../quant/types';
import { GpuMetrics, Throughput, type MetricsSnapshot } from './metrics';
import { batchIndices, makeBatch, permutation, seededRandom, subsetIndices } from './batches';
import { makeOptimizer, makeScheduler } from './train';
import { assertReadyForQat } from './misuse';
import { LossLog, StateRing, describeCount, locateNonFinite, type NonFiniteOrigin } from './nonfinite';
import { checkpointOf, loadCheckpoint, type Checkpoint, type CheckpointStore, type LoadReport } from './checkpoints';
import { qparamsTable, type LayerQParams } from './qparams_table';
import { validate } from './validation';
import { StageCancelled, type EvalResult, type StageContext, type StageName, type StageProgress, type TrainSettings } from './types';

/**
 * Horizon's recommended QAT hyperparameters from the float run's: SGD, lr 0.001 decayed ×0.1 twice
 * (StepLR at a third and two thirds of the run), about 10% of the float epochs (at least 1), weight
 * decay, momentum, batch size and data as in float.
 */
export function qatDefaults(float: TrainSettings): TrainSettings {
  const epochs = Math.max(1, Math.round(float.epochs * 0.1));
  return {
    ...float,
    epochs,
    optimizer: 'sgd',
    lr: 0.001,
    schedule: 'step',
    stepSize: epochs / 3,
    gamma: 0.1,
    milestones: [],
    warmupEpochs: 0,
  };
}

/** The settings QAT runs with: Horizon's defaults from the float settings, then qconfig.ts's qat values, then the caller's. */
export function qatSettings(program: EvaluatedProgram, float: TrainSettings, overrides: Partial<TrainSettings> = {}): TrainSettings {
  const fromConfig: Partial<TrainSettings> = {};
  const config = program.config.qat as unknown as Record<string, unknown>;
  for (const key of Object.keys(float) as (keyof TrainSettings)[]) {
    if (config[key] !== undefined) (fromConfig as Record<string, unknown>)[key] = config[key];
  }
  const merged = { ...qatDefaults(float), ...fromConfig, ...overrides };
  // A changed epoch count keeps the two decays inside the run unless a step size was given.
  if (merged.schedule === 'step' && fromConfig.stepSize === undefined && overrides.stepSize === undefined) merged.stepSize = merged.epochs / 3;
  return merged;
}

export class NonFiniteLossError extends Error {
  constructor(
    readonly stage: StageName,
    readonly step: number,
    readonly loss: number,
    readonly origin: NonFiniteOrigin | null,
  ) {
    super(describeNonFinite(stage, step, loss, origin));
    this.name = 'NonFiniteLossError';
  }
}

function describeNonFinite(stage: StageName, step: number, loss: number, origin: NonFiniteOrigin | null): string {
  let where: string;
  if (!origin) where = 'No layer output was non-finite when the step was re-run (the loss itself overflowed, or the step did not reproduce).';
  else if (origin.module === 'input') where = `The input batch itself is not finite: ${origin.detail}.`;
  else {
    const name = origin.module === '' ? `the model's forward (${origin.type}, outside any submodule)` : `layer ${origin.module} (${origin.type})`;
    where = `The first non-finite value appeared in ${name}: ${origin.detail}.`;
    if (origin.badState.length) {
      where += ` Already non-finite before the step: ${origin.badState
        .slice(0, 4)
        .map((s) => `${s.name} (${describeCount(s.count)})`)
        .join(', ')}.`;
    }
  }
  return `${stage}: the loss became ${loss} at step ${step}. ${where} Lower the learning rate (QAT usually wants about 0.001), or check that layer's inputs and qconfig.`;
}

export interface QatTrainOptions {
  stage?: StageName;
  /** Steps between metric readbacks (and NaN checks). Default 20. */
  logEvery?: number;
  progressIntervalMs?: number;
  /** Keep the state before recent steps to name the layer of a NaN loss (default true). */
  diagnoseNonFinite?: boolean;
  /** Called before each step's forward (tests plant faults here). */
  beforeStep?: (step: number, model: Module) => void;
}

export interface QatTrainResult {
  epochs: number;
  steps: number;
  finalLoss: number;
  imagesPerSecond: number;
  history: { step: number; epoch: number; loss: number; accuracy: number; lr: number }[];
  /** From the readiness check (e.g. a frozen BatchNorm still in train mode). */
  warnings: string[];
}

const MAX_IN_FLIGHT = 2;

/** The lr of a step: the schedule at the fractional epoch, times warmup. */
function lrAt(settings: TrainSettings, scheduler: ReturnType<typeof makeScheduler>, base: number, step: number, stepsPerEpoch: number): number {
  const epoch = step / stepsPerEpoch;
  const warmupSteps = Math.round(settings.warmupEpochs * stepsPerEpoch);
  const warm = warmupSteps > 0 && step < warmupSteps ? (step + 1) / warmupSteps : 1;
  return (scheduler ? scheduler.lrAt(base, epoch) : base) * warm;
}

/**
 * Trains a prepared model that the caller put in train mode with its fake quantizers in QAT (parts may
 * be frozen: eval + VALIDATION + requires_grad off). Modes are not changed.
 */
export async function trainQat(model: Module, ctx: StageContext, settings: TrainSettings, options: QatTrainOptions = {}): Promise<QatTrainResult> {
  const stage = options.stage ?? 'qat';
  const logEvery = Math.max(1, options.logEvery ?? 20);
  const progressInterval = options.progressIntervalMs ?? 250;
  if (!(settings.batchSize >= 1) || !(settings.epochs >= 0)) {
    throw new Error(`${stage}: batch size (${settings.batchSize}) must be at least 1 and epochs (${settings.epochs}) not negative`);
  }
  const readiness = assertReadyForQat(model);
  const indices = subsetIndices(ctx.train.count, settings.trainSubset, settings.seed);
  const stepsPerEpoch = Math.ceil(indices.length / settings.batchSize);
  const totalSteps = stepsPerEpoch * settings.epochs;
  const shuffle = seededRandom(settings.seed ^ 0x5bd1e995);
  manual_seed(settings.seed);

  const optimizer = makeOptimizer(model, settings);
  const scheduler = makeScheduler(optimizer, settings);
  const base = optimizer.param_groups[0]!.initial_lr;
  const metrics = new GpuMetrics();
  const lossLog = new LossLog(logEvery);
  const ring = options.diagnoseNonFinite === false ? null : new StateRing(logEvery + MAX_IN_FLIGHT + 3);
  const device = getDevice();
  const inFlight: Promise<void>[] = [];
  const snapshots: Promise<void>[] = [];
  const history: QatTrainResult['history'] = [];
  let latest: MetricsSnapshot | null = null;
  let nonFinite: { step: number; loss: number } | null = null;
  let lastProgress = -Infinity;
  let lastSnapshotStep = 0;
  let step = 0;
  const throughput = new Throughput();

  const report = (epoch: number, force = false) => {
    const now = performance.now();
    if (!force && now - lastProgress < progressInterval) return;
    lastProgress = now;
    const ips = throughput.imagesPerSecond;
    const p: StageProgress = {
      stage,
      fraction: totalSteps > 0 ? step / totalSteps : 1,
      epoch,
      step,
      totalSteps,
      lr: optimizer.param_groups[0]!.lr,
      imagesPerSecond: ips,
      etaSeconds: ips > 0 ? ((totalSteps - step) * settings.batchSize) / ips : undefined,
    };
    if (latest) {
      p.loss = latest.loss;
      p.accuracy = latest.accuracy;
    }
    ctx.progress(p);
  };

  const takeSnapshot = (atStep: number, epoch: number, lr: number) => {
    const since = lastSnapshotStep;
    lastSnapshotStep = atStep;
    const losses = lossLog.read(atStep);
    snapshots.push(
      Promise.all([metrics.snapshot(), losses]).then(([s, perStep]) => {
        if (!Number.isFinite(s.loss) || [...perStep.values()].some((v) => !Number.isFinite(v))) {
          for (let k = since + 1; k <= atStep; k++) {
            const v = perStep.get(k);
            if (v !== undefined && !Number.isFinite(v)) {
              if (!nonFinite || k < nonFinite.step) nonFinite = { step: k, loss: v };
              break;
            }
          }
          nonFinite ??= { step: atStep, loss: s.loss };
          return;
        }
        if (s.count === 0) return;
        latest = s;
        history.push({ step: atStep, epoch, loss: s.loss, accuracy: s.accuracy, lr });
      }),
    );
  };

  /** Puts back the state before the bad step and re-runs its batch module by module. */
  const diagnose = async (bad: { step: number; loss: number }): Promise<never> => {
    await Promise.allSettled([...inFlight, ...snapshots]);
    let origin: NonFiniteOrigin | null = null;
    const batch = ring?.restore(bad.step, model) ?? null;
    if (batch) {
      const { images, labels } = makeBatch(ctx.train, batch);
      try {
        origin = await locateNonFinite(model, () => model(images), [images]);
      } finally {
        images.dispose();
        labels.dispose();
      }
    }
    throw new NonFiniteLossError(stage, bad.step, bad.loss, origin);
  };

  try {
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      const order = permutation(indices.length, shuffle).map((i) => indices[i]!);
      for (const batch of batchIndices(order, settings.batchSize)) {
        if (ctx.signal.aborted) throw new StageCancelled(stage);
        if (nonFinite) await diagnose(nonFinite);
        const lr = lrAt(settings, scheduler, base, step, stepsPerEpoch);
        for (const g of optimizer.param_groups) g.lr = lr;
        step++;
        options.beforeStep?.(step, model);
        ring?.record(step, model, batch.slice());
        tidy(() => {
          const { images, labels } = makeBatch(ctx.train, batch);
          const { loss, rows } = cross_entropy_with_stats(model(images), labels);
          lossLog.add(step, loss);
          backward(loss);
          optimizer.step();
          optimizer.zero_grad();
          metrics.add(rows);
        });
        const doneImages = Math.min(step * settings.batchSize, (epoch + 1) * indices.length);
        flush();
        inFlight.push(device.queue.onSubmittedWorkDone().then(() => throughput.completed(doneImages, performance.now())));
        if (step % logEvery === 0 || step === totalSteps) takeSnapshot(step, epoch, lr);
        if (inFlight.length > MAX_IN_FLIGHT) await inFlight.shift();
        report(epoch);
      }
    }
    await Promise.all(inFlight);
    await Promise.all(snapshots);
    if (nonFinite) await diagnose(nonFinite);
    report(Math.max(0, settings.epochs - 1), true);
    return {
      epochs: settings.epochs,
      steps: step,
      finalLoss: latest ? (latest as MetricsSnapshot).loss : NaN,
      imagesPerSecond: throughput.imagesPerSecond,
      history,
      warnings: readiness.warnings,
    };
  } finally {
    await Promise.allSettled([...inFlight, ...snapshots]);
    optimizer.zero_grad();
    optimizer.dispose();
    metrics.dispose();
    lossLog.dispose();
    ring?.dispose();
  }
}

export interface QatStageOptions {
  float_state_dict?: StateDict;
  /** The calibration checkpoint (Horizon: load the calibration weights before QAT). Null starts from float. */
  calibration: Checkpoint | null;
  /** The float run's settings (QAT defaults derive from them). */
  float: TrainSettings;
  /** Over the derived defaults and qconfig.ts's qat values. */
  settings?: Partial<TrainSettings>;
  /** Where the QAT checkpoint is saved, under `checkpointKey` (default 'qat'). */
  store?: CheckpointStore;
  checkpointKey?: string;
  train?: QatTrainOptions;
  /** Batch size of the validation pass (default 256). */
  evalBatchSize?: number;
}

export interface QatStageResult extends QatTrainResult {
  settings: TrainSettings;
  /** Fake-quant test accuracy after QAT (eval + VALIDATION). */
  test: EvalResult;
  layers: LayerQParams[];
  check: CheckResult;
  checkpoint: Checkpoint;
  /** What loading the calibration checkpoint left out (observer state the QAT observers do not have). */
  loaded: LoadReport | null;
  seconds: number;
}

/**
 * The whole stage from the evaluated editor files. Returns the trained model in VALIDATION state (the
 * caller disposes it).
 */
export async function runQat(program: EvaluatedProgram, ctx: StageContext, options: QatStageOptions): Promise<{ model: PreparedModel; result: QatStageResult }> {
  const started = performance.now();
  const settings = qatSettings(program, options.float, options.settings);
  const model = prepareStageModel(program, 'qat', { float_state_dict: options.float_state_dict });
  try {
    const loaded = options.calibration ? loadCheckpoint(model, options.calibration, 'calibration checkpoint into the QAT model') : null;
    model.train();
    set_fake_quantize(model, FakeQuantState.QAT);
    runStageSetup(program, 'qat', model);
    const trained = await trainQat(model, ctx, settings, options.train);
    const test = await validate(model, ctx.test, { testSubset: settings.testSubset, batchSize: options.evalBatchSize ?? 256 }, {
      signal: ctx.signal,
      stage: 'qat',
      onProgress: (done, total) => ctx.progress({ stage: 'qat', fraction: 1, message: `evaluating the fake-quant model on ${done}/${total} test images` }),
    });
    const layers = await qparamsTable(model);
    const checkpoint = await checkpointOf(model, 'qat', { settings, accuracy: test.accuracy });
    if (options.store) await options.store.save(options.checkpointKey ?? 'qat', checkpoint);
    return {
      model,
      result: { ...trained, settings, test, layers, check: model.check_result, checkpoint, loaded, seconds: (performance.now() - started) / 1000 },
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
