/**
 * Float training of the reference CNN in this engine: the real training loop (trainFloat: upload,
 * forward, backward, fused SGD, GPU-side metrics), batch 64, images/s after the first step.
 */
import { ReferenceCNN } from '../../src/nn/reference_cnn';
import { manual_seed } from '../../src/nn/init';
import { trainFloat } from '../../src/pipeline/train';
import { openEngineDevice } from './engine_device';
import { BATCH, syntheticDataset } from './reference_cnn_data';
import type { BenchCase } from './types';
import { DEFAULT_FLOAT } from '../../src/store/settings';

export const trainEngineCase: BenchCase = {
  id: 'train_engine',
  async run(ctx) {
    const adapter = await openEngineDevice();
    const steps = 40;
    const train = syntheticDataset(BATCH * steps, 1);
    const test = syntheticDataset(BATCH, 2);
    manual_seed(0);
    const model = new ReferenceCNN();
    const result = await trainFloat(
      model,
      { train, test, signal: new AbortController().signal, progress: (p) => p.step && p.step % 10 === 0 && ctx.log(`engine: step ${p.step}/${steps}, ${p.imagesPerSecond?.toFixed(1)} images/s`) },
      { ...DEFAULT_FLOAT, trainSubset: 0, testSubset: BATCH, epochs: 1, batchSize: BATCH, seed: 0 },
      { logEvery: 10, progressIntervalMs: 0 },
    );
    model.dispose();
    return [
      {
        id: 'train_engine',
        label: 'float training, reference CNN — this engine',
        value: result.imagesPerSecond,
        unit: 'images/s',
        note: `batch ${BATCH}, SGD momentum 0.9, ${steps} steps (first excluded); ${adapter.vendor} ${adapter.architecture}`,
      },
    ];
  },
};
