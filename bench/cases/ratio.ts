/** Rows computed from other rows (this engine against a peer). */
import type { BenchCase } from './types';

export const trainRatioCase: BenchCase = {
  id: 'train_ratio',
  after: ['train_engine', 'train_tfjs'],
  async run(ctx) {
    const ours = ctx.results.get('train_engine');
    const theirs = ctx.results.get('train_tfjs');
    if (!ours || !theirs) throw new Error('train_ratio needs the train_engine and train_tfjs rows');
    return [{ id: 'train_ratio', label: 'float training: this engine / TensorFlow.js WebGPU', value: ours.value / theirs.value, unit: '×' }];
  },
};
