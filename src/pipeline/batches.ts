/**
 * Seeded shuffling and batching of an in-memory image set (what a DataLoader with shuffle=True does).
 */
import type { ImageDataset } from '../data/idx';
import { Tensor } from '../engine/tensor';

/** mulberry32: small and fast; the same seed gives the same order in every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Fisher–Yates shuffle of 0..n-1. */
export function permutation(n: number, random: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** The first `subset` indices (0 = all) of a seeded shuffle: the images a stage uses. */
export function subsetIndices(count: number, subset: number, seed: number): Int32Array {
  const order = permutation(count, seededRandom(seed));
  return subset > 0 && subset < count ? order.subarray(0, subset) : order;
}

export interface Batch {
  images: Tensor;
  labels: Tensor;
  size: number;
}

/** Uploads the images and labels at `indices` as one batch (NCHW float32, int32 labels). */
export function makeBatch(dataset: ImageDataset, indices: ArrayLike<number>): Batch {
  const [C, H, W] = dataset.imageShape;
  const per = C * H * W;
  const n = indices.length;
  const images = new Float32Array(n * per);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = indices[i]!;
    images.set(dataset.images.subarray(k * per, (k + 1) * per), i * per);
    labels[i] = dataset.labels[k]!;
  }
  return { images: Tensor.fromArray(images, [n, C, H, W]), labels: Tensor.fromArray(labels, [n], 'int32'), size: n };
}

/** Batches of `order` in order; the last one may be smaller (drop_last=False). */
export function* batchIndices(order: Int32Array, batchSize: number): Generator<Int32Array> {
  for (let start = 0; start < order.length; start += batchSize) yield order.subarray(start, Math.min(start + batchSize, order.length));
}
