import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../../testing/gpu';
import { Tensor } from '../tensor';
import { batchNormEvalBackward, batchNormEvalStats, batchNormInputGrad, batchNormParamGrads } from './norm';
import { batchNormBackwardCpu } from '../cpu/norm';

beforeAll(async () => {
  await getTestDevice();
});

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

describe('batch norm backward in evaluation, one pass', () => {
  // [2, 3, 4, 4]: one chunk per plane; [1, 2, 40, 40]: several chunks per plane, odd vec4 count per chunk.
  for (const shape of [
    [2, 3, 4, 4],
    [1, 2, 40, 40],
    [3, 5, 2, 6],
  ]) {
    it(`equals the two-kernel path bit for bit and the CPU reference [${shape.join(', ')}]`, async () => {
      let seed = 9;
      const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
      const [N, C] = shape as [number, number];
      const n = shape.reduce((a, b) => a * b, 1);
      const xData = Float32Array.from({ length: n }, () => rand() * 3);
      xData[5] = -0;
      const gyData = Float32Array.from({ length: n }, (_, i) => (i % 11 === 0 ? -0 : rand()));
      const mean = Float32Array.from({ length: C }, () => rand());
      const variance = Float32Array.from({ length: C }, () => rand() + 1.5);
      const w = Float32Array.from({ length: C }, () => rand() * 2);
      const x = Tensor.fromArray(xData, shape);
      const gy = Tensor.fromArray(gyData, shape);
      const weight = Tensor.fromArray(w, [C]);
      const stats = batchNormEvalStats(Tensor.fromArray(mean, [C]), Tensor.fromArray(variance, [C]), 1e-5);
      const merged = batchNormEvalBackward(gy, x, stats, weight);
      expect(merged).not.toBeNull();
      const [dx, dweight, dbias] = merged!;
      const [dw2, db2] = batchNormParamGrads(gy, x, stats);
      const dx2 = batchNormInputGrad(gy, x, stats, weight, dw2, db2, false);
      expect(bits(await dx.read())).toEqual(bits(await dx2.read()));
      expect(bits(await dweight.read())).toEqual(bits(await dw2.read()));
      expect(bits(await dbias.read())).toEqual(bits(await db2.read()));
      const s = (await stats.read()) as Float32Array;
      const ref = batchNormBackwardCpu(gyData, xData, shape, Float64Array.from(s.slice(0, C)), Float64Array.from(s.slice(C)), w, false);
      const close = (got: ArrayLike<number>, want: ArrayLike<number>) => {
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want[i]!)) * Math.sqrt(N * n / C));
      };
      close(await dx.read(), ref.dx);
      close(await dweight.read(), ref.dweight);
      close(await dbias.read(), ref.dbias);
    });
  }

  it('declines planes that are not whole vec4s', () => {
    const x = Tensor.zeros([2, 3, 3, 3]);
    const stats = batchNormEvalStats(Tensor.zeros([3]), Tensor.fromArray([1, 1, 1], [3]), 1e-5);
    expect(batchNormEvalBackward(x, x, stats, Tensor.fromArray([1, 1, 1], [3]))).toBeNull();
  });
});
