import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_FILES, checkSplit, loadFashionMnist, pickSamples, pixelStats, type LoadProgress } from './fashionMnist';
import { parseIdx } from './idx';
import { MemoryCache, fakeFetch, makeIdx } from './testFiles';

const BASE = 'http://127.0.0.1:4173/datasets/fashion-mnist/';

/** A tiny Fashion-MNIST look-alike: `n` images of 3×2 whose first pixel is the index, labels i mod 10. */
function tinyFiles(train = 30, test = 20, labelFor = (i: number) => i % 10): Record<string, Uint8Array> {
  const split = (n: number) => ({
    images: gzipSync(makeIdx([n, 3, 2], Array.from({ length: n * 6 }, (_, k) => (k % 6 === 0 ? Math.floor(k / 6) : 7)))),
    labels: gzipSync(makeIdx([n], Array.from({ length: n }, (_, i) => labelFor(i)))),
  });
  const tr = split(train);
  const te = split(test);
  return {
    [BASE + FASHION_MNIST_FILES.trainImages.name]: tr.images,
    [BASE + FASHION_MNIST_FILES.trainLabels.name]: tr.labels,
    [BASE + FASHION_MNIST_FILES.testImages.name]: te.images,
    [BASE + FASHION_MNIST_FILES.testLabels.name]: te.labels,
  };
}

describe('loadFashionMnist', () => {
  it('loads the four files, test set first, with monotone progress ending at the real total', async () => {
    const files = tinyFiles();
    const { fetch, requested } = fakeFetch(files, 8);
    const progress: LoadProgress[] = [];
    const data = await loadFashionMnist(BASE, { fetch, cache: null }, (p) => progress.push(p));
    expect(requested.map((u) => u.slice(BASE.length))).toEqual([
      't10k-labels-idx1-ubyte.gz',
      't10k-images-idx3-ubyte.gz',
      'train-labels-idx1-ubyte.gz',
      'train-images-idx3-ubyte.gz',
    ]);
    expect(data.train).toMatchObject({ count: 30, height: 3, width: 2 });
    expect(data.test).toMatchObject({ count: 20, height: 3, width: 2 });
    const realTotal = Object.values(files).reduce((a, b) => a + b.length, 0);
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ loaded: realTotal, total: realTotal, file: 'train-images-idx3-ubyte.gz' });
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.loaded).toBeGreaterThanOrEqual(progress[i - 1]!.loaded);
    expect(data.compressedBytes).toBe(realTotal);
    expect(data.fromCache).toBe(false);
  });

  it('is served from the cache the second time', async () => {
    const cache = new MemoryCache();
    const { fetch, requested } = fakeFetch(tinyFiles());
    await loadFashionMnist(BASE, { fetch, cache });
    const again = await loadFashionMnist(BASE, { fetch, cache });
    expect(requested).toHaveLength(4);
    expect(again.fromCache).toBe(true);
  });

  it('names the label file when a label is not a class', async () => {
    const { fetch } = fakeFetch(tinyFiles(30, 20, (i) => (i === 5 ? 12 : 0)));
    await expect(loadFashionMnist(BASE, { fetch, cache: null })).rejects.toThrow(
      't10k-labels-idx1-ubyte.gz: label 12 at index 5 is not a class (0 to 9)',
    );
  });

  it('names the file that is missing', async () => {
    const files = tinyFiles();
    delete files[BASE + FASHION_MNIST_FILES.trainImages.name];
    const { fetch } = fakeFetch(files);
    await expect(loadFashionMnist(BASE, { fetch, cache: null })).rejects.toThrow(
      `train-images-idx3-ubyte.gz: HTTP 404 Not Found from ${BASE}train-images-idx3-ubyte.gz`,
    );
  });

  it('reads the real files shipped in public/: counts, first labels, and the normalization statistics', async () => {
    const dir = new URL('../../public/datasets/fashion-mnist/', import.meta.url);
    const files: Record<string, Uint8Array> = {};
    for (const spec of Object.values(FASHION_MNIST_FILES)) {
      const bytes = new Uint8Array(await readFile(new URL(spec.name, dir)));
      expect(bytes.length, `${spec.name} size`).toBe(spec.bytes);
      files[BASE + spec.name] = bytes;
    }
    const { fetch } = fakeFetch(files, 1 << 16);
    const data = await loadFashionMnist(BASE, { fetch, cache: null });
    expect(data.train).toMatchObject({ count: 60000, height: 28, width: 28 });
    expect(data.test).toMatchObject({ count: 10000, height: 28, width: 28 });
    expect([...data.test.labels.data.subarray(0, 5)]).toEqual([9, 2, 1, 1, 6]);
    expect([...data.train.labels.data.subarray(0, 5)]).toEqual([9, 0, 0, 3, 0]);
    const stats = pixelStats(data.train.images.data);
    expect(stats.mean).toBeCloseTo(0.286, 3);
    expect(stats.std).toBeCloseTo(0.353, 3);
  });
});

describe('checkSplit', () => {
  it('names the files when images and labels disagree', () => {
    const images = parseIdx(makeIdx([3, 2, 2], new Uint8Array(12)), 'i');
    const labels = parseIdx(makeIdx([2], [0, 1]), 'l');
    expect(() => checkSplit(images, labels, 'trainImages', 'trainLabels', 10)).toThrow(
      'train-labels-idx1-ubyte.gz: 2 labels for the 3 images of train-images-idx3-ubyte.gz',
    );
    expect(() => checkSplit(labels, labels, 'testImages', 'testLabels', 10)).toThrow(
      't10k-images-idx3-ubyte.gz: expected images of rank 3 [N, H, W], found [2]',
    );
  });
});

describe('pickSamples', () => {
  it('takes the first images of each class, one class after another in every round', () => {
    const n = 40;
    const labels = Array.from({ length: n }, (_, i) => (i * 3) % 4);
    const split = checkSplit(
      parseIdx(makeIdx([n, 1, 2], Array.from({ length: n * 2 }, (_, k) => Math.floor(k / 2))), 'i'),
      parseIdx(makeIdx([n], labels), 'l'),
      'testImages',
      'testLabels',
      4,
    );
    const samples = pickSamples(split, 2, 4);
    // Labels cycle 0,3,2,1: class 0 at 0,4,.. class 1 at 3,7,.. class 2 at 2,6,.. class 3 at 1,5,..
    expect(samples.labels).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    expect([...samples.pixels.filter((_, k) => k % 2 === 0)]).toEqual([0, 3, 2, 1, 4, 7, 6, 5]);
  });

  it('returns what there is when a class has fewer images', () => {
    const split = checkSplit(parseIdx(makeIdx([3, 1, 1], [5, 6, 7]), 'i'), parseIdx(makeIdx([3], [1, 1, 1]), 'l'), 'testImages', 'testLabels', 3);
    expect(pickSamples(split, 2, 3)).toEqual({ pixels: Uint8Array.of(5, 6), labels: [1, 1] });
  });
});

describe('pixelStats', () => {
  it('gives the mean and the population standard deviation in [0, 1]', () => {
    const stats = pixelStats(Uint8Array.of(0, 255, 0, 255));
    expect(stats.mean).toBeCloseTo(0.5, 12);
    expect(stats.std).toBeCloseTo(0.5, 12);
  });
});
