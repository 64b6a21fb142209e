/**
 * The fake-quantize kernel's bandwidth (int8, per tensor, forward) on the copy case's 32 MiB buffer, and
 * its ratio to the copy kernel (the memory-bound limit; target ≥ 0.9).
 */
import { Tensor } from '../../src/engine/tensor';
import { sync } from '../../src/engine/commands';
import { fakeQuantizeForward, packQParamsInto } from '../../src/quant/kernels/fake_quantize';
import { openEngineDevice } from './engine_device';
import type { BenchCase } from './types';

export const fakeQuantCase: BenchCase = {
  id: 'fake_quant',
  async run(ctx) {
    await openEngineDevice();
    const floats = 8 * 1024 * 1024;
    const x = Tensor.fromArray(Float32Array.from({ length: floats }, (_, i) => Math.sin(i) * 3), [floats]);
    const scale = Tensor.fromArray([0.03], [1]);
    const zeroPoint = Tensor.zeros([1], 'int32');
    const packed = packQParamsInto(scale, zeroPoint, null);
    const run = () => fakeQuantizeForward(x, packed, -128, 127, null).dispose();
    run();
    await sync();
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const reps = 5;
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) run();
      await sync();
      best = Math.min(best, (performance.now() - t0) / reps);
    }
    for (const t of [x, scale, zeroPoint, packed]) t.dispose();
    const gbs = (floats * 4 * 2) / (best / 1000) / 1e9;
    ctx.log(`fake quantize: ${best.toFixed(2)} ms per 32 MiB`);
    return [{ id: 'fake_quant', label: 'fake quantize kernel (int8, per tensor)', value: gbs, unit: 'GB/s', note: 'bytes read + written, 32 MiB buffer' }];
  },
};

export const fakeQuantRatioCase: BenchCase = {
  id: 'fake_quant_ratio',
  after: ['copy', 'fake_quant'],
  async run(ctx) {
    const copy = ctx.results.get('copy');
    const fq = ctx.results.get('fake_quant');
    if (!copy || !fq) throw new Error('fake_quant_ratio needs the copy and fake_quant rows');
    return [{ id: 'fake_quant_ratio', label: 'fake quantize / copy bandwidth', value: fq.value / copy.value, unit: '×', note: 'target ≥ 0.9' }];
  },
};
