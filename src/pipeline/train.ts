/**
 * The float training stage and test-set evaluation: plain async functions over the engine (the worker
 * wires them to messages; tests call them directly).
 *
 * A step is: upload a batch, forward, cross-entropy, backward, one fused optimizer kernel per parameter,
 * and a tiny dispatch adding the batch's loss and correct count to GPU-side totals — all in one `tidy`
 * scope, with no readback. The totals are copied out every few steps and mapped without waiting; the
 * loop only waits for the GPU to be at most a couple of steps behind, so progress and cancellation stay
 * responsive and memory stays flat.
 */
import type { Module } from '../nn/module';
import { manual_seed } from '../nn/init';
import { tidy } from '../engine/tensor';
import { backward, no_grad } from '../engine/autograd';
import { cross_entropy_with_stats } from '../engine/functional';
import { flush } from '../engine/commands';
import { getDevice } from '../engine/device';
import { SGD } from '../optim/sgd';
import { Adam, AdamW } from '../optim/adam';
import type { Optimizer } from '../optim/optimizer';
import { CosineAnnealingLR, MultiStepLR, StepLR, type LRScheduler } from '../optim/lr_scheduler';
import type { ImageDataset } from '../data/idx';
import { GpuMetrics, Throughput, type MetricsSnapshot } from './metrics';
import { batchIndices, makeBatch, permutation, seededRandom, subsetIndices } from './batches';
import { StageCancelled, type EvalResult, type StageContext, type StageName, type StageProgress, type TrainResult, type TrainSettings } from './types';

export interface TrainOptions {
  /** The stage named in progress, errors and cancellation (QAT reuses this loop). Default 'float'. */
  stage?: StageName;
  /** Steps between metric readbacks. Default 20. */
  logEvery?: number;
  /** Milliseconds between progress messages. Default 250. */
  progressIntervalMs?: number;
  /** Batch size of the test-set evaluation at the end. Default 256. */
  evalBatchSize?: number;
}

/** How many steps the CPU may run ahead of the GPU. */
const MAX_IN_FLIGHT = 2;

export function makeOptimizer(model: Module, settings: TrainSettings): Optimizer {
  const params = model.parameters().filter((p) => p.requiresGrad);
  if (params.length === 0) throw new Error('training: the model has no parameter that requires grad');
  switch (settings.optimizer) {
    case 'sgd':
      return new SGD(params, { lr: settings.lr, momentum: settings.momentum, weight_decay: settings.weightDecay });
    case 'adam':
      return new Adam(params, { lr: settings.lr, weight_decay: settings.weightDecay });
    case 'adamw':
      return new AdamW(params, { lr: settings.lr, weight_decay: settings.weightDecay });
  }
}

/** The per-epoch schedule of the settings (null for a constant lr). */
export function makeScheduler(optimizer: Optimizer, settings: TrainSettings): LRScheduler | null {
  switch (settings.schedule) {
    case 'constant':
      return null;
    case 'step':
      return new StepLR(optimizer, settings.stepSize, settings.gamma);
    case 'multistep':
      return new MultiStepLR(optimizer, settings.milestones, settings.gamma);
    case 'cosine':
      return new CosineAnnealingLR(optimizer, Math.max(1, settings.epochs));
  }
}

/** Linear warmup over the first `warmupEpochs` (fractional allowed), per step, from 1/warmupSteps to 1. */
function warmupFactor(step: number, warmupSteps: number): number {
  return warmupSteps > 0 && step < warmupSteps ? (step + 1) / warmupSteps : 1;
}

export async function trainFloat(model: Module, ctx: StageContext, settings: TrainSettings, options: TrainOptions = {}): Promise<TrainResult> {
  const stage = options.stage ?? 'float';
  const logEvery = options.logEvery ?? 20;
  const progressInterval = options.progressIntervalMs ?? 250;
  if (!(settings.batchSize >= 1) || !(settings.epochs >= 0)) {
    throw new Error(`${stage}: batch size (${settings.batchSize}) must be at least 1 and epochs (${settings.epochs}) not negative`);
  }
  const indices = subsetIndices(ctx.train.count, settings.trainSubset, settings.seed);
  const stepsPerEpoch = Math.ceil(indices.length / settings.batchSize);
  const totalSteps = stepsPerEpoch * settings.epochs;
  const warmupSteps = Math.round(settings.warmupEpochs * stepsPerEpoch);
  const shuffle = seededRandom(settings.seed ^ 0x5bd1e995);
  manual_seed(settings.seed);

  const wasTraining = model.training;
  model.train();
  const optimizer = makeOptimizer(model, settings);
  const scheduler = makeScheduler(optimizer, settings);
  const metrics = new GpuMetrics();
  const device = getDevice();
  const inFlight: Promise<void>[] = [];
  const snapshots: Promise<void>[] = [];
  const throughput = new Throughput();
  const history: TrainResult['history'] = [];
  let latest: { loss: number; accuracy: number } | null = null;
  let failure: Error | null = null;
  let lastProgress = -Infinity;
  let step = 0;

  const report = (epoch: number, force = false) => {
    const now = performance.now();
    if (!force && now - lastProgress < progressInterval) return;
    lastProgress = now;
    const ips = throughput.imagesPerSecond;
    const remaining = (totalSteps - step) * settings.batchSize;
    const p: StageProgress = {
      stage,
      fraction: totalSteps > 0 ? step / totalSteps : 1,
      epoch,
      step,
      totalSteps,
      lr: optimizer.param_groups[0]!.lr,
      imagesPerSecond: ips,
      etaSeconds: ips > 0 ? remaining / ips : undefined,
    };
    if (latest) {
      p.loss = latest.loss;
      p.accuracy = latest.accuracy;
    }
    ctx.progress(p);
  };

  const takeSnapshot = (atStep: number, lr: number) => {
    snapshots.push(
      metrics.snapshot().then((s: MetricsSnapshot) => {
        if (s.count === 0) return;
        if (!Number.isFinite(s.loss)) failure ??= new Error(`${stage}: the training loss became ${s.loss} by step ${atStep}; lower the learning rate`);
        latest = { loss: s.loss, accuracy: s.accuracy };
        history.push({ step: atStep, loss: s.loss, accuracy: s.accuracy, lr });
      }),
    );
  };

  try {
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      const order = permutation(indices.length, shuffle).map((i) => indices[i]!);
      for (const batch of batchIndices(order, settings.batchSize)) {
        if (ctx.signal.aborted) throw new StageCancelled(stage);
        if (failure) throw failure;
        const lr = (scheduler ? scheduler.lrAt(optimizer.param_groups[0]!.initial_lr, epoch) : settings.lr) * warmupFactor(step, warmupSteps);
        for (const g of optimizer.param_groups) g.lr = lr;
        tidy(() => {
          const { images, labels } = makeBatch(ctx.train, batch);
          const { loss, rows } = cross_entropy_with_stats(model(images), labels);
          backward(loss);
          optimizer.step();
          optimizer.zero_grad();
          metrics.add(rows);
        });
        step++;
        const doneImages = step * settings.batchSize;
        flush();
        inFlight.push(device.queue.onSubmittedWorkDone().then(() => throughput.completed(Math.min(doneImages, (epoch + 1) * indices.length), performance.now())));
        if (step % logEvery === 0 || step === totalSteps) takeSnapshot(step, lr);
        if (inFlight.length > MAX_IN_FLIGHT) await inFlight.shift();
        report(epoch);
      }
    }
    await Promise.all(inFlight);
    await Promise.all(snapshots);
    if (failure) throw failure;
    report(Math.max(0, settings.epochs - 1), true);
    const test = await evaluate(model, ctx.test, {
      subset: settings.testSubset,
      batchSize: options.evalBatchSize ?? 256,
      signal: ctx.signal,
      stage,
      onProgress: (done, total) => {
        const now = performance.now();
        if (done < total && now - lastProgress < progressInterval) return;
        lastProgress = now;
        ctx.progress({ stage, fraction: 1, message: `evaluating ${done}/${total} test images` });
      },
    });
    return {
      epochs: settings.epochs,
      steps: step,
      finalLoss: latest ? (latest as { loss: number }).loss : NaN,
      imagesPerSecond: throughput.imagesPerSecond,
      test,
      history,
    };
  } finally {
    // Let queued work and readbacks settle before the state they use is freed.
    await Promise.allSettled([...inFlight, ...snapshots]);
    optimizer.zero_grad();
    optimizer.dispose();
    metrics.dispose();
    model.train(wasTraining);
  }
}

export interface EvaluateOptions {
  /** The first `subset` images (0 = all). */
  subset?: number;
  batchSize?: number;
  signal?: AbortSignal;
  stage?: StageName;
  onProgress?: (done: number, total: number) => void;
}

/** Test-set accuracy and mean cross-entropy of a model in eval mode (one readback at the end). */
export async function evaluate(model: Module, dataset: ImageDataset, options: EvaluateOptions = {}): Promise<EvalResult> {
  const stage = options.stage ?? 'validation';
  const count = options.subset && options.subset > 0 ? Math.min(options.subset, dataset.count) : dataset.count;
  const batchSize = options.batchSize ?? 256;
  const order = new Int32Array(count).map((_, i) => i);
  const wasTraining = model.training;
  model.eval();
  const metrics = new GpuMetrics();
  const device = getDevice();
  const inFlight: Promise<void>[] = [];
  let done = 0;
  try {
    for (const batch of batchIndices(order, batchSize)) {
      if (options.signal?.aborted) throw new StageCancelled(stage);
      no_grad(() =>
        tidy(() => {
          const { images, labels } = makeBatch(dataset, batch);
          const { rows } = cross_entropy_with_stats(model(images), labels);
          metrics.add(rows);
        }),
      );
      done += batch.length;
      flush();
      const reached = done;
      inFlight.push(device.queue.onSubmittedWorkDone().then(() => options.onProgress?.(reached, count)));
      if (inFlight.length > MAX_IN_FLIGHT) await inFlight.shift();
    }
    const s = await metrics.snapshot();
    return { accuracy: s.accuracy, loss: s.loss, count: s.count };
  } finally {
    await Promise.allSettled(inFlight);
    metrics.dispose();
    model.train(wasTraining);
  }
}
