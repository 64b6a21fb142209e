/**
 * The fake-quantize kernel's bandwidth (int8, per tensor, forward) on the copy case's 32 MiB buffer, and
 * its ratio to the copy kernel (the memory-bound limit; target ≥ 0.9). The copy kernel is timed again
 * here, in rounds alternating with the fake quantizer, and the ratio uses that paired copy: on a shared
 * machine the load a minute earlier (when the copy row ran) says little about the load now.
 */
import { Tensor } from '../../src/engine/tensor';
import { sync } from '../../src/engine/commands';
import { copy } from '../../src/engine/kernels/copy';
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
    const runFq = () => fakeQuantizeForward(x, packed, -128, 127, null).dispose();
    const runCopy = () => copy(x).dispose();
    const timed = async (run: () => void, reps: number) => {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) run();
      await sync();
      return (performance.now() - t0) / reps;
    };
    await timed(runFq, 1);
    await timed(runCopy, 1);
    let bestFq = Infinity;
    let bestCopy = Infinity;
    for (let r = 0; r < 4; r++) {
      bestCopy = Math.min(bestCopy, await timed(runCopy, 5));
      bestFq = Math.min(bestFq, await timed(runFq, 5));
    }
    for (const t of [x, scale, zeroPoint, packed]) t.dispose();
    const gbs = (ms: number) => (floats * 4 * 2) / (ms / 1000) / 1e9;
    ctx.log(`fake quantize: ${bestFq.toFixed(2)} ms per 32 MiB (copy beside it: ${bestCopy.toFixed(2)} ms)`);
    return [
      { id: 'fake_quant', label: 'fake quantize kernel (int8, per tensor)', value: gbs(bestFq), unit: 'GB/s', note: 'bytes read + written, 32 MiB buffer' },
      { id: 'fake_quant_copy', label: 'copy kernel, timed beside it', value: gbs(bestCopy), unit: 'GB/s', note: 'rounds alternating with the fake quantizer' },
    ];
  },
};

export const fakeQuantRatioCase: BenchCase = {
  id: 'fake_quant_ratio',
  after: ['copy', 'fake_quant'],
  async run(ctx) {
    const copy = ctx.results.get('fake_quant_copy') ?? ctx.results.get('copy');
    const fq = ctx.results.get('fake_quant');
    if (!copy || !fq) throw new Error('fake_quant_ratio needs the copy and fake_quant rows');
    return [{ id: 'fake_quant_ratio', label: 'fake quantize / copy bandwidth', value: fq.value / copy.value, unit: '×', note: 'target ≥ 0.9 (copy timed beside it)' }];
  },
};
