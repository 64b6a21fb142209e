/**
 * Fashion-MNIST as the app ships it (public/datasets/fashion-mnist/): four gzip IDX files read with
 * the streaming loader, checked against each other, kept as raw uint8 (normalized when a stage asks).
 */
import { FASHION_MNIST_CLASSES, type IdxArray } from './idx';
import { DatasetFileError, readGzipIdx, type LoaderEnv } from './loader';

export interface DatasetFileSpec {
  name: string;
  /** Compressed size, for the progress bar's total before the server says (Content-Length). */
  bytes: number;
}

export const FASHION_MNIST_FILES = {
  testLabels: { name: 't10k-labels-idx1-ubyte.gz', bytes: 5_125 },
  testImages: { name: 't10k-images-idx3-ubyte.gz', bytes: 4_422_079 },
  trainLabels: { name: 'train-labels-idx1-ubyte.gz', bytes: 29_491 },
  trainImages: { name: 'train-images-idx3-ubyte.gz', bytes: 26_421_856 },
} as const satisfies Record<string, DatasetFileSpec>;

export type FashionMnistFile = keyof typeof FASHION_MNIST_FILES;

/** Test set first: it is small, so the sample grid can appear while the training set streams. */
const LOAD_ORDER: readonly FashionMnistFile[] = ['testLabels', 'testImages', 'trainLabels', 'trainImages'];

/** Images [N, H, W] and labels [N] as uint8, as they are in the files. */
export interface RawSplit {
  images: IdxArray;
  labels: IdxArray;
  count: number;
  height: number;
  width: number;
}

export interface RawDataset {
  train: RawSplit;
  test: RawSplit;
  classes: readonly string[];
  fromCache: boolean;
  compressedBytes: number;
}

export interface LoadProgress {
  file: string;
  loaded: number;
  total: number;
  fromCache: boolean;
}

/**
 * Loads the four files from `baseUrl` (an absolute folder URL ending in '/'). `onProgress` gets the
 * compressed bytes read over all files; the total starts from the known sizes and is corrected from
 * each response's Content-Length.
 */
export async function loadFashionMnist(
  baseUrl: string,
  env: LoaderEnv,
  onProgress: (progress: LoadProgress) => void = () => {},
): Promise<RawDataset> {
  const totals = new Map<FashionMnistFile, number>(LOAD_ORDER.map((key) => [key, FASHION_MNIST_FILES[key].bytes]));
  const sum = () => [...totals.values()].reduce((a, b) => a + b, 0);
  let loaded = 0;
  let allFromCache = true;
  const arrays = new Map<FashionMnistFile, IdxArray>();

  for (const key of LOAD_ORDER) {
    const file = FASHION_MNIST_FILES[key].name;
    let fileFromCache = false;
    const result = await readGzipIdx(new URL(file, baseUrl).href, file, env, {
      onStart(total, fromCache) {
        if (total !== null) totals.set(key, total);
        fileFromCache = fromCache;
        onProgress({ file, loaded, total: sum(), fromCache });
      },
      onBytes(bytes) {
        loaded += bytes;
        onProgress({ file, loaded, total: Math.max(sum(), loaded), fromCache: fileFromCache });
      },
    });
    allFromCache &&= result.fromCache;
    arrays.set(key, result.array);
  }

  const classes = FASHION_MNIST_CLASSES;
  return {
    test: checkSplit(arrays.get('testImages')!, arrays.get('testLabels')!, 'testImages', 'testLabels', classes.length),
    train: checkSplit(arrays.get('trainImages')!, arrays.get('trainLabels')!, 'trainImages', 'trainLabels', classes.length),
    classes,
    fromCache: allFromCache,
    compressedBytes: loaded,
  };
}

/** Checks that an image file and a label file belong together; errors name the files. */
export function checkSplit(
  images: IdxArray,
  labels: IdxArray,
  imagesKey: FashionMnistFile,
  labelsKey: FashionMnistFile,
  classCount: number,
): RawSplit {
  const imagesFile = FASHION_MNIST_FILES[imagesKey].name;
  const labelsFile = FASHION_MNIST_FILES[labelsKey].name;
  if (images.shape.length !== 3) {
    throw new DatasetFileError(imagesFile, `expected images of rank 3 [N, H, W], found [${images.shape.join(', ')}]`);
  }
  if (labels.shape.length !== 1) {
    throw new DatasetFileError(labelsFile, `expected labels of rank 1 [N], found [${labels.shape.join(', ')}]`);
  }
  const [count, height, width] = images.shape as [number, number, number];
  if (labels.shape[0] !== count) {
    throw new DatasetFileError(labelsFile, `${labels.shape[0]} labels for the ${count} images of ${imagesFile}`);
  }
  const bad = labels.data.findIndex((label) => label >= classCount);
  if (bad >= 0) {
    throw new DatasetFileError(labelsFile, `label ${labels.data[bad]} at index ${bad} is not a class (0 to ${classCount - 1})`);
  }
  return { images, labels, count, height, width };
}

/**
 * Picks `perClass` images of every class, in dataset order, arranged round by round (one image of each
 * class, then the next of each class), so a grid with one column per class shows each class in a column.
 */
export function pickSamples(split: RawSplit, perClass: number, classCount: number): { pixels: Uint8Array; labels: number[] } {
  const byClass: number[][] = Array.from({ length: classCount }, () => []);
  for (let i = 0; i < split.count && byClass.some((list) => list.length < perClass); i++) {
    const list = byClass[split.labels.data[i]!]!;
    if (list.length < perClass) list.push(i);
  }
  const order: number[] = [];
  for (let round = 0; round < perClass; round++) {
    for (const list of byClass) if (round < list.length) order.push(list[round]!);
  }
  const size = split.height * split.width;
  const pixels = new Uint8Array(order.length * size);
  order.forEach((index, k) => pixels.set(split.images.data.subarray(index * size, (index + 1) * size), k * size));
  return { pixels, labels: order.map((index) => split.labels.data[index]!) };
}

/** Mean and standard deviation of pixel values scaled to [0, 1] (exact, through a 256-bin histogram). */
export function pixelStats(pixels: Uint8Array): { mean: number; std: number } {
  const histogram = new Float64Array(256);
  for (let i = 0; i < pixels.length; i++) histogram[pixels[i]!]! += 1;
  let sum = 0;
  let sumSquares = 0;
  for (let v = 0; v < 256; v++) {
    const x = v / 255;
    sum += histogram[v]! * x;
    sumSquares += histogram[v]! * x * x;
  }
  const mean = sum / pixels.length;
  return { mean, std: Math.sqrt(Math.max(0, sumSquares / pixels.length - mean * mean)) };
}
