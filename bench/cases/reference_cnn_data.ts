/** Synthetic Fashion-MNIST-shaped data: training speed does not depend on the pixel values. */
import type { ImageDataset } from '../../src/data/idx';

export function syntheticDataset(count: number, seed = 1): ImageDataset {
  let s = seed;
  const random = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const images = new Float32Array(count * 784);
  for (let i = 0; i < images.length; i++) images[i] = random() * 2 - 0.8;
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = Math.floor(random() * 10);
  return { images, labels, count, imageShape: [1, 28, 28], classes: Array.from({ length: 10 }, (_, i) => String(i)) };
}

export const BATCH = 64;
