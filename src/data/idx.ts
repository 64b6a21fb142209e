/**
 * The IDX format of (Fashion-)MNIST: a magic number whose third byte is the element type and fourth the
 * rank, then one big-endian uint32 per dimension, then the values. Errors name the file and what is wrong.
 */
export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

export class IdxError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'IdxError';
  }
}

export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) throw new IdxError(file, `truncated: ${bytes.length} bytes, not even a header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('');
    throw new IdxError(file, `wrong magic number 0x${magic} (an IDX file starts with 0x0000): not an IDX file`);
  }
  if (bytes[2] !== UBYTE) {
    throw new IdxError(file, `element type 0x${bytes[2]!.toString(16)} is not supported (only unsigned bytes, 0x08)`);
  }
  const rank = bytes[3]!;
  if (rank < 1 || rank > 4) throw new IdxError(file, `rank ${rank} is not 1 to 4`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw new IdxError(file, `truncated header: ${bytes.length} of ${headerBytes} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const have = bytes.length - headerBytes;
  if (have < count) {
    throw new IdxError(file, `truncated: the header promises ${count} values [${shape.join(' × ')}], the file has ${have}`);
  }
  if (have > count) throw new IdxError(file, `${have - count} bytes after the last value [${shape.join(' × ')}]`);
  return { shape, data: bytes.subarray(headerBytes) };
}

/** Fashion-MNIST's training-set statistics (per pixel in [0, 1]). */
export const FASHION_MNIST_MEAN = 0.286;
export const FASHION_MNIST_STD = 0.353;

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

/** uint8 pixels to normalized float32: (p / 255 - mean) / std. */
export function normalizeImages(pixels: Uint8Array, mean = FASHION_MNIST_MEAN, std = FASHION_MNIST_STD): Float32Array {
  const out = new Float32Array(pixels.length);
  const a = 1 / (255 * std);
  const b = -mean / std;
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i]! * a + b;
  return out;
}

/** A labelled image set in memory: NCHW float32 images, int32 labels. */
export interface ImageDataset {
  images: Float32Array;
  labels: Int32Array;
  count: number;
  /** [C, H, W] of one image. */
  imageShape: [number, number, number];
  classes: readonly string[];
}

export function toDataset(images: IdxArray, labels: IdxArray, classes: readonly string[] = FASHION_MNIST_CLASSES): ImageDataset {
  if (images.shape.length !== 3) throw new Error(`images: expected rank 3 [N, H, W], got [${images.shape.join(', ')}]`);
  if (labels.shape.length !== 1) throw new Error(`labels: expected rank 1 [N], got [${labels.shape.join(', ')}]`);
  const [n, h, w] = images.shape as [number, number, number];
  if (labels.shape[0] !== n) throw new Error(`images and labels disagree: ${n} images, ${labels.shape[0]} labels`);
  return {
    images: normalizeImages(images.data),
    labels: Int32Array.from(labels.data),
    count: n,
    imageShape: [1, h, w],
    classes,
  };
}
