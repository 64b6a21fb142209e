/**
 * What the worker holds between requests: the GPU report and the dataset. Stages get the dataset
 * normalized, made once on first use (the raw uint8 copy is what loading keeps).
 */
import type { RawDataset } from '../data/fashionMnist';
import { toDataset, type ImageDataset } from '../data/idx';
import type { GpuReport } from './protocol';

export class WorkerState {
  gpu: GpuReport | null = null;
  private raw: { baseUrl: string; data: RawDataset } | null = null;
  private normalized: { train: ImageDataset; test: ImageDataset } | null = null;

  setDataset(baseUrl: string, data: RawDataset): void {
    this.raw = { baseUrl, data };
    this.normalized = null;
  }

  rawDataset(baseUrl?: string): RawDataset | null {
    if (!this.raw || (baseUrl !== undefined && this.raw.baseUrl !== baseUrl)) return null;
    return this.raw.data;
  }

  /** The normalized train and test sets for a stage; fails with a clear message before a load. */
  datasets(): { train: ImageDataset; test: ImageDataset } {
    if (!this.raw) throw new Error('The dataset is not loaded yet: wait for the dataset panel to finish (or fix its error).');
    const { train, test, classes } = this.raw.data;
    this.normalized ??= {
      train: toDataset(train.images, train.labels, classes),
      test: toDataset(test.images, test.labels, classes),
    };
    return this.normalized;
  }
}
