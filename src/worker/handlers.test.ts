import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_FILES } from '../data/fashionMnist';
import { MemoryCache, fakeFetch, makeIdx } from '../data/testFiles';
import { createHandlers } from './handlers';
import type { HandlerContext } from './host';
import type { DatasetProgress, WorkerEvent } from './protocol';
import { WorkerState } from './state';

const BASE = 'http://127.0.0.1:4173/datasets/fashion-mnist/';

function files(n: number): Record<string, Uint8Array> {
  const images = gzipSync(makeIdx([n, 2, 2], Array.from({ length: n * 4 }, (_, k) => k % 256)));
  const labels = gzipSync(makeIdx([n], Array.from({ length: n }, (_, i) => i % 10)));
  return {
    [BASE + FASHION_MNIST_FILES.trainImages.name]: images,
    [BASE + FASHION_MNIST_FILES.trainLabels.name]: labels,
    [BASE + FASHION_MNIST_FILES.testImages.name]: images,
    [BASE + FASHION_MNIST_FILES.testLabels.name]: labels,
  };
}

function context() {
  const progress: DatasetProgress[] = [];
  const transferred: Transferable[] = [];
  const ctx: HandlerContext<'dataset'> = {
    id: 1,
    signal: new AbortController().signal,
    progress: (p) => progress.push(p),
    transfer: (...t) => transferred.push(...t),
  };
  return { ctx, progress, transferred };
}

describe('dataset handler', () => {
  it('loads, keeps the data for stages, and reports samples, counts and statistics', async () => {
    const state = new WorkerState();
    const cache = new MemoryCache();
    const { fetch, requested } = fakeFetch(files(30));
    const events: WorkerEvent[] = [];
    const handlers = createHandlers(state, { gpu: undefined, fetch, openCache: async () => cache, emit: (e) => events.push(e) });
    const { ctx, progress, transferred } = context();
    const report = await handlers.dataset({ baseUrl: BASE, samplesPerClass: 2 }, ctx);
    expect(report).toMatchObject({ name: 'Fashion-MNIST', train: { count: 30, height: 2, width: 2 }, test: { count: 30 }, fromCache: false });
    expect(report.samples.labels).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(report.samples.pixels.length).toBe(20 * 4);
    expect(report.normalization).toEqual({ mean: 0.286, std: 0.353 });
    expect(transferred).toEqual([report.samples.pixels.buffer]);
    expect(progress.at(-1)!.loaded).toBe(progress.at(-1)!.total);
    expect(requested).toHaveLength(4);
    expect(cache.entries.size).toBe(4);
    expect(events).toEqual([]);

    const { train, test } = state.datasets();
    expect(train.count).toBe(30);
    expect(train.imageShape).toEqual([1, 2, 2]);
    expect(test.images[1]).toBeCloseTo((1 / 255 - 0.286) / 0.353, 5);

    const again = await handlers.dataset({ baseUrl: BASE, samplesPerClass: 1 }, context().ctx);
    expect(requested).toHaveLength(4);
    expect(again.fromCache).toBe(true);
    expect(again.samples.labels).toHaveLength(10);
  });

  it('makes stages wait for the dataset with a clear message', () => {
    expect(() => new WorkerState().datasets()).toThrow('The dataset is not loaded yet');
  });

  it('reports a GPU-less browser without failing', async () => {
    const handlers = createHandlers(new WorkerState(), { gpu: undefined, fetch: fakeFetch({}).fetch, openCache: async () => null, emit: () => {} });
    const report = await handlers.gpu({}, context().ctx as unknown as HandlerContext<'gpu'>);
    expect(report.available).toBe(false);
  });
});
