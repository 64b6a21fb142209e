/** The memory-bound limit: a plain vec4 copy kernel's bandwidth (bytes read + written per second). */
import { Tensor } from '../../src/engine/tensor';
import { copy } from '../../src/engine/kernels/copy';
import { sync } from '../../src/engine/commands';
import { openEngineDevice } from './engine_device';
import type { BenchCase } from './types';

export const copyCase: BenchCase = {
  id: 'copy',
  async run(ctx) {
    await openEngineDevice();
    const floats = 8 * 1024 * 1024;
    const src = Tensor.zeros([floats]);
    copy(src).dispose();
    await sync();
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const reps = 5;
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) copy(src).dispose();
      await sync();
      best = Math.min(best, (performance.now() - t0) / reps);
    }
    src.dispose();
    const gbs = (floats * 4 * 2) / (best / 1000) / 1e9;
    ctx.log(`copy: ${best.toFixed(2)} ms per 32 MiB`);
    return [{ id: 'copy', label: 'copy kernel (memory limit)', value: gbs, unit: 'GB/s', note: 'bytes read + written, 32 MiB buffer' }];
  },
};
