/**
 * The fixed-point stage: test-set accuracy of the integer model — the number that counts for deployment
 * (the Horizon quick start: "please use the accuracy of the fixed-point model") — on the WebGPU integer
 * executor, or on the CPU reference without a device; and, given the QAT model it was converted from,
 * the per-layer comparison fake quant vs fixed point (max/mean difference in LSB, SQNR).
 */
import { tidy } from '../engine/tensor';
import { hasDevice, getDevice } from '../engine/device';
import { cross_entropy_with_stats } from '../engine/functional';
import { flush } from '../engine/commands';
import type { ImageDataset } from '../data/idx';
import type { GraphModule } from '../graph/graph_module';
import type { ConvertResult } from '../fixed/convert';
import { runIntegerModelCpu } from '../fixed/executor_cpu';
import type { IntegerModel } from '../fixed/model';
import { compareFakeAndFixed, type LayerComparison } from '../fixed/compare_model';
import { batchIndices, makeBatch } from './batches';
import { GpuMetrics, Throughput } from './metrics';
import { StageCancelled, type EvalResult, type StageContext } from './types';

export interface FixedSettings {
  /** The first `testSubset` test images (0 = all). */
  testSubset: number;
  batchSize: number;
  /** Images for the per-layer comparison with the QAT model (0 = none). */
  compareImages: number;
  backend: 'auto' | 'webgpu' | 'cpu';
}

export const FIXED_DEFAULTS: FixedSettings = { testSubset: 0, batchSize: 256, compareImages: 64, backend: 'auto' };

export interface FixedEvalResult extends EvalResult {
  imagesPerSecond: number;
  backend: 'webgpu' | 'cpu';
}

export interface FixedEvalOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

const MAX_IN_FLIGHT = 2;

function outputOf(model: IntegerModel): { name: string; classes: number } {
  const name = model.outputs[0];
  const v = model.values.find((x) => x.name === name)!;
  if (v.dtype !== 'float32' || v.shape.length !== 1) {
    throw new Error(`fixed-point evaluation: output "${name}" is ${v.dtype} [${v.shape.join(', ')}], not float logits [classes]`);
  }
  return { name, classes: v.shape[0] };
}

/** Mean cross-entropy and accuracy of logits rows against labels (CPU path). */
function scoreRows(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number, from: number, n: number): { loss: number; correct: number } {
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    let arg = 0;
    for (let j = 0; j < classes; j++) {
      const v = logits[i * classes + j];
      if (v > max) {
        max = v;
        arg = j;
      }
    }
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp(logits[i * classes + j] - max);
    const label = labels[from + i];
    loss += Math.log(sum) + max - logits[i * classes + label];
    if (arg === label) correct++;
  }
  return { loss, correct };
}

/** Test-set accuracy (and loss) of an integer model. */
export async function evaluateFixed(
  model: IntegerModel,
  test: ImageDataset,
  settings: Partial<FixedSettings> = {},
  options: FixedEvalOptions = {},
): Promise<FixedEvalResult> {
  const s = { ...FIXED_DEFAULTS, ...settings };
  const count = s.testSubset > 0 ? Math.min(s.testSubset, test.count) : test.count;
  const order = new Int32Array(count).map((_, i) => i);
  const { classes } = outputOf(model);
  const useGpu = s.backend === 'webgpu' || (s.backend === 'auto' && hasDevice());
  if (s.backend === 'webgpu' && !hasDevice()) throw new Error('fixed-point evaluation: backend "webgpu" asked for, but there is no GPU device');
  const started = performance.now();
  if (!useGpu) {
    const per = test.imageShape.reduce((a, b) => a * b, 1);
    let loss = 0;
    let correct = 0;
    let done = 0;
    for (const batch of batchIndices(order, s.batchSize)) {
      if (options.signal?.aborted) throw new StageCancelled('fixed');
      const from = batch[0];
      const values = runIntegerModelCpu(model, { [model.inputs[0]]: test.images.subarray(from * per, (from + batch.length) * per) });
      const r = scoreRows(values.get(model.outputs[0])!, test.labels, classes, from, batch.length);
      loss += r.loss;
      correct += r.correct;
      done += batch.length;
      options.onProgress?.(done, count);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const seconds = (performance.now() - started) / 1000;
    return { accuracy: correct / count, loss: loss / count, count, imagesPerSecond: count / seconds, backend: 'cpu' };
  }

  const { IntegerExecutor } = await import('../fixed/gpu/executor');
  const executor = await IntegerExecutor.create(model);
  const metrics = new GpuMetrics();
  const device = getDevice();
  const inFlight: Promise<void>[] = [];
  let done = 0;
  // Counted as the training stages count it, from the end of the first batch: that one also waits for the
  // executor's kernels to compile (seconds on a software adapter), which is not the speed of inference.
  const throughput = new Throughput();
  try {
    for (const batch of batchIndices(order, s.batchSize)) {
      if (options.signal?.aborted) throw new StageCancelled('fixed');
      tidy(() => {
        const { images, labels } = makeBatch(test, batch);
        const results = executor.run({ [model.inputs[0]]: images });
        try {
          metrics.add(cross_entropy_with_stats(results.get(model.outputs[0])!, labels).rows);
        } finally {
          for (const t of results.values()) t.dispose();
        }
      });
      done += batch.length;
      flush();
      const reached = done;
      inFlight.push(
        device.queue.onSubmittedWorkDone().then(() => {
          throughput.completed(reached, performance.now());
          options.onProgress?.(reached, count);
        }),
      );
      if (inFlight.length > MAX_IN_FLIGHT) await inFlight.shift();
    }
    await Promise.all(inFlight);
    const snapshot = await metrics.snapshot();
    const seconds = (performance.now() - started) / 1000;
    // One batch only: the whole call.
    const imagesPerSecond = throughput.imagesPerSecond || count / seconds;
    return { accuracy: snapshot.accuracy, loss: snapshot.loss, count: snapshot.count, imagesPerSecond, backend: 'webgpu' };
  } finally {
    await Promise.allSettled(inFlight);
    metrics.dispose();
    executor.dispose();
  }
}

export interface FixedStageOptions {
  converted: ConvertResult;
  /** The prepared model it was converted from (eval + VALIDATION), for the per-layer comparison. */
  qat?: GraphModule;
  settings?: Partial<FixedSettings>;
}

export interface FixedStageResult {
  settings: FixedSettings;
  test: FixedEvalResult;
  /** Fake quant vs fixed point per layer (empty without the QAT model, a GPU, or with compareImages 0). */
  layers: LayerComparison[];
  seconds: number;
}

export async function runFixed(ctx: Pick<StageContext, 'test' | 'signal' | 'progress'>, options: FixedStageOptions): Promise<FixedStageResult> {
  const started = performance.now();
  const settings = { ...FIXED_DEFAULTS, ...options.settings };
  const test = await evaluateFixed(options.converted.model, ctx.test, settings, {
    signal: ctx.signal,
    onProgress: (done, total) => ctx.progress({ stage: 'fixed', fraction: (0.9 * done) / total, message: `fixed-point model on ${done}/${total} test images` }),
  });
  let layers: LayerComparison[] = [];
  const n = Math.min(settings.compareImages, ctx.test.count);
  // The QAT model runs on the engine: the comparison needs the GPU.
  if (options.qat && n > 0 && hasDevice()) {
    if (ctx.signal.aborted) throw new StageCancelled('fixed');
    ctx.progress({ stage: 'fixed', fraction: 0.95, message: `comparing fake quant and fixed point per layer on ${n} images` });
    layers = (await compareFakeAndFixed(options.qat, options.converted, ctx.test.images, n)).layers;
  }
  ctx.progress({ stage: 'fixed', fraction: 1 });
  return { settings, test, layers, seconds: (performance.now() - started) / 1000 };
}
