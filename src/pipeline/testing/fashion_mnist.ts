/**
 * Fashion-MNIST from public/datasets in Node (tests and scripts): gunzip + the project's IDX reader.
 * The page loads the same files through src/data/loader.ts.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { parseIdx, toDataset, type ImageDataset } from '../../data/idx';

const DIR = fileURLToPath(new URL('../../../public/datasets/fashion-mnist/', import.meta.url));

function read(name: string) {
  return parseIdx(new Uint8Array(gunzipSync(readFileSync(DIR + name))), name);
}

export function loadFashionMnist(): { train: ImageDataset; test: ImageDataset } {
  return {
    train: toDataset(read('train-images-idx3-ubyte.gz'), read('train-labels-idx1-ubyte.gz')),
    test: toDataset(read('t10k-images-idx3-ubyte.gz'), read('t10k-labels-idx1-ubyte.gz')),
  };
}
