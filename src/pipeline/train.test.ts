import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import { failOnGpuErrors } from '../engine/testing/errors';
import { ReferenceCNN } from '../nn/reference_cnn';
import { manual_seed } from '../nn/init';
import { liveTensorCount } from '../engine/tensor';
import { bufferPool } from '../engine/pool';
import { evaluate, trainFloat } from './train';
import { loadFashionMnist } from './testing/fashion_mnist';
import { StageCancelled, type StageContext, type StageProgress, type TrainSettings } from './types';
import type { ImageDataset } from '../data/idx';

let data: { train: ImageDataset; test: ImageDataset };

beforeAll(async () => {
  await getTestDevice();
  data = loadFashionMnist();
});

failOnGpuErrors();

const SETTINGS: TrainSettings = {
  trainSubset: 768,
  testSubset: 300,
  epochs: 2,
  batchSize: 32,
  lr: 0.05,
  momentum: 0.9,
  weightDecay: 4e-5,
  optimizer: 'sgd',
  schedule: 'constant',
  stepSize: 1,
  gamma: 0.1,
  milestones: [],
  warmupEpochs: 0,
  seed: 1,
};

function context(progress: StageProgress[], signal = new AbortController().signal): StageContext {
  return { train: data.train, test: data.test, progress: (p) => progress.push(p), signal };
}

describe('trainFloat', () => {
  it('trains the reference CNN on a small subset: loss falls, test accuracy far above chance, memory flat', async () => {
    manual_seed(3);
    const model = new ReferenceCNN();
    const before = await evaluate(model, data.test, { subset: 300 });
    const progress: StageProgress[] = [];
    const tensorsBefore = liveTensorCount();
    const buffersBefore = bufferPool.stats();
    const result = await trainFloat(model, context(progress), SETTINGS, { logEvery: 8, progressIntervalMs: 0 });
    expect(liveTensorCount()).toBe(tensorsBefore);
    expect(bufferPool.stats().liveBuffers).toBe(buffersBefore.liveBuffers);
    expect(bufferPool.stats().liveBytes).toBe(buffersBefore.liveBytes);

    expect(result.steps).toBe(2 * 24);
    expect(result.history.length).toBeGreaterThanOrEqual(6);
    const first = result.history[0]!;
    const last = result.history[result.history.length - 1]!;
    expect(last.loss).toBeLessThan(first.loss * 0.6);
    expect(result.test.count).toBe(300);
    expect(before.accuracy).toBeLessThan(0.3);
    // Chance is 10%; 768 images for 2 epochs reach about 70% with this recipe.
    expect(result.test.accuracy).toBeGreaterThan(0.6);
    expect(result.imagesPerSecond).toBeGreaterThan(0);
    const last_ = progress.filter((p) => p.step !== undefined).at(-1)!;
    expect(last_.step).toBe(48);
    expect(last_.fraction).toBe(1);
    expect(progress.some((p) => p.imagesPerSecond! > 0 && p.etaSeconds !== undefined && p.loss !== undefined)).toBe(true);
    model.dispose();
  }, 300_000);

  it('stops with StageCancelled when the signal aborts, and frees what it made', async () => {
    const model = new ReferenceCNN();
    const controller = new AbortController();
    const progress: StageProgress[] = [];
    const tensorsBefore = liveTensorCount();
    const run = trainFloat(
      model,
      { ...context(progress, controller.signal), progress: (p) => (progress.push(p), p.step === 3 && controller.abort()) },
      { ...SETTINGS, epochs: 5 },
      { progressIntervalMs: 0 },
    );
    await expect(run).rejects.toBeInstanceOf(StageCancelled);
    expect(progress.at(-1)!.step).toBe(3);
    expect(liveTensorCount()).toBe(tensorsBefore);
    model.dispose();
  });
});
