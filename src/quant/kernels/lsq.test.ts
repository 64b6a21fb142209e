import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../../testing/gpu';
import { Tensor } from '../../engine/tensor';
import { parseGolden } from '../numerics/golden_format';
import { f32Bits } from '../numerics/float32';
import { lsqBackwardPerChannel, lsqBackwardPerTensor, lsqForwardPerChannel, lsqForwardPerTensor, lsqGradFactor } from '../numerics/lsq';
import { lsqBackward, lsqForward } from './lsq';

beforeAll(async () => {
  await getTestDevice();
});

const golden = parseGolden(readFileSync('golden/pytorch_quant.json', 'utf8'));
const bits = (a: ArrayLike<number>) => Array.from(a, f32Bits);

/** |a - b| <= tol * max(|b|, tiny): the LSQ sums' tolerance (summation order differs from PyTorch's). */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, absFloor: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = Math.max(Math.abs(want[i]!) * rel, absFloor);
    expect(Math.abs(got[i]! - want[i]!), `element ${i}: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol);
  }
}

describe('LSQ kernels', () => {
  it('reproduce the golden learnable_fake_quantize cases: y and dx bit-exact, dscale/dzero_point within 1e-5', async () => {
    for (const c of golden.learnable_fake_quantize!) {
      const x = Tensor.fromArray(c.x, [c.x.length]);
      const dy = Tensor.fromArray(c.dy, [c.dy.length]);
      const scale = Tensor.fromArray([c.scale as number], [1]);
      const zp = Tensor.fromArray([c.zero_point as number], [1]);
      const y = lsqForward(x, scale, zp, c.quant_min, c.quant_max, null);
      const g = lsqBackward(x, dy, scale, zp, c.quant_min, c.quant_max, null, lsqGradFactor(c.x.length, c.quant_max, c.use_grad_scaling));
      expect(bits(await y.read())).toEqual(bits(c.y));
      expect(bits(await g.dx.read())).toEqual(bits(c.dx));
      expectClose(await g.dscale.read(), c.dscale, 1e-5, 1e-9);
      expectClose(await g.dzero_point.read(), c.dzero_point, 1e-5, 1e-9);
    }
  });

  it('round LSQ per element exactly as the CPU reference (fused multiply-adds included)', async () => {
    const c = golden.learnable_fake_quantize![0]!;
    for (let i = 0; i < c.x.length; i++) {
      const g = lsqBackward(Tensor.fromArray([c.x[i]!], [1]), Tensor.fromArray([c.dy[i]!], [1]), Tensor.fromArray([0.07], [1]), Tensor.fromArray([100], [1]), 0, 255, null, 1);
      const ref = lsqBackwardPerTensor([c.x[i]!], [c.dy[i]!], 0.07, 100, 0, 255, 1);
      expect(bits(await g.dscale.read()), `element ${i}`).toEqual(bits(ref.dscale));
    }
  });

  it('match the CPU reference per tensor and per channel on random data (dx exact, sums within 1e-5)', async () => {
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const shape = [4, 6, 9, 5];
    const n = 4 * 6 * 9 * 5;
    const xs = Array.from({ length: n }, () => rand() * 6);
    const dys = Array.from({ length: n }, () => rand());
    const x = Tensor.fromArray(xs, shape);
    const dy = Tensor.fromArray(dys, shape);
    for (const [qmin, qmax, zps] of [
      [0, 255, [100.3, 20.7, 128, 3.5, 0.5, 250]],
      [-128, 127, [0, 1.5, -2.5, 0, 7, -9.4]],
    ] as const) {
      const scales = [0.03, 0.05, 0.011, 0.07, 0.02, 0.04];
      const gf = lsqGradFactor(n, qmax, true);
      // per channel, axis 1
      const gc = lsqBackward(x, dy, Tensor.fromArray(scales, [6]), Tensor.fromArray(zps, [6]), qmin, qmax, 1, gf);
      const rc = lsqBackwardPerChannel(xs, dys, shape, 1, scales, zps, qmin, qmax, gf);
      expect(bits(await gc.dx.read())).toEqual(bits(rc.dx));
      expectClose(await gc.dscale.read(), rc.dscale, 1e-5, 1e-7);
      expectClose(await gc.dzero_point.read(), rc.dzero_point, 1e-5, 1e-7);
      const yc = lsqForward(x, Tensor.fromArray(scales, [6]), Tensor.fromArray(zps, [6]), qmin, qmax, 1);
      expect(bits(await yc.read())).toEqual(bits(lsqForwardPerChannel(xs, shape, 1, scales, zps, qmin, qmax)));
      // per tensor
      const gt = lsqBackward(x, dy, Tensor.fromArray([scales[0]!], [1]), Tensor.fromArray([zps[0]!], [1]), qmin, qmax, null, 1);
      const rt = lsqBackwardPerTensor(xs, dys, scales[0]!, zps[0]!, qmin, qmax, 1);
      expect(bits(await gt.dx.read())).toEqual(bits(rt.dx));
      expectClose(await gt.dscale.read(), rt.dscale, 1e-5, 1e-7);
      expectClose(await gt.dzero_point.read(), rt.dzero_point, 1e-5, 1e-7);
      const yt = lsqForward(x, Tensor.fromArray([scales[0]!], [1]), Tensor.fromArray([zps[0]!], [1]), qmin, qmax, null);
      expect(bits(await yt.read())).toEqual(bits(lsqForwardPerTensor(xs, scales[0]!, zps[0]!, qmin, qmax)));
    }
  });
});
