/**
 * QAT training of the reference CNN: the QAT stage's loop (trainQat: fake quantize with the straight-
 * through gradient, observers, conv+BN folded with batch statistics, the NaN-diagnosis state copy) on
 * the model prepared with default_qat_qconfig_setter, batch 64, images/s after the first step; and the
 * time of a QAT step over a float step (target ≤ 1.25).
 */
import { ReferenceCNN } from '../../src/nn/reference_cnn';
import { manual_seed } from '../../src/nn/init';
import { prepare } from '../../src/quant/prepare';
import { default_qat_qconfig_setter } from '../../src/quant/setters';
import { set_fake_quantize } from '../../src/quant/fake_quant_state';
import { FakeQuantState } from '../../src/quant/types';
import { trainQat } from '../../src/pipeline/qat';
import { openEngineDevice } from './engine_device';
import { BATCH, syntheticDataset } from './reference_cnn_data';
import type { BenchCase } from './types';
import { DEFAULT_QAT } from '../../src/store/settings';

export const trainQatCase: BenchCase = {
  id: 'train_qat',
  async run(ctx) {
    const adapter = await openEngineDevice();
    const steps = 40;
    const train = syntheticDataset(BATCH * steps, 1);
    const test = syntheticDataset(BATCH, 2);
    manual_seed(0);
    const model = prepare(new ReferenceCNN(), { qconfig_setter: [default_qat_qconfig_setter] });
    model.train();
    set_fake_quantize(model, FakeQuantState.QAT);
    const result = await trainQat(
      model,
      { train, test, signal: new AbortController().signal, progress: (p) => p.step && p.step % 10 === 0 && ctx.log(`QAT: step ${p.step}/${steps}, ${p.imagesPerSecond?.toFixed(1)} images/s`) },
      { ...DEFAULT_QAT, trainSubset: 0, testSubset: BATCH, epochs: 1, batchSize: BATCH, seed: 0 },
      { logEvery: 10, progressIntervalMs: 0 },
    );
    model.dispose();
    return [
      {
        id: 'train_qat',
        label: 'QAT training, reference CNN — this engine',
        value: result.imagesPerSecond,
        unit: 'images/s',
        note: `batch ${BATCH}, int8 fake quant (default_qat_qconfig_setter), ${steps} steps (first excluded); ${adapter.vendor} ${adapter.architecture}`,
      },
    ];
  },
};

export const qatStepRatioCase: BenchCase = {
  id: 'qat_step_ratio',
  after: ['train_engine', 'train_qat'],
  async run(ctx) {
    const float = ctx.results.get('train_engine');
    const qat = ctx.results.get('train_qat');
    if (!float || !qat) throw new Error('qat_step_ratio needs the train_engine and train_qat rows');
    return [{ id: 'qat_step_ratio', label: 'QAT step / float step (time)', value: float.value / qat.value, unit: '×', note: 'target ≤ 1.25' }];
  },
};
