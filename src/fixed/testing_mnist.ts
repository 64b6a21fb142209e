/** Node-only test helper: the first N Fashion-MNIST test images (normalized) and labels, from public/. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { parseIdx, toDataset, type ImageDataset } from '../data/idx';

const DIR = fileURLToPath(new URL('../../public/datasets/fashion-mnist/', import.meta.url));

let cached: ImageDataset | null = null;

export function fashionMnistTest(count = 10000): ImageDataset {
  cached ??= toDataset(
    parseIdx(gunzipSync(readFileSync(`${DIR}t10k-images-idx3-ubyte.gz`)), 't10k-images-idx3-ubyte.gz'),
    parseIdx(gunzipSync(readFileSync(`${DIR}t10k-labels-idx1-ubyte.gz`)), 't10k-labels-idx1-ubyte.gz'),
  );
  const n = Math.min(count, cached.count);
  const per = cached.imageShape.reduce((a, b) => a * b, 1);
  return { ...cached, count: n, images: cached.images.subarray(0, n * per), labels: cached.labels.subarray(0, n) };
}
