import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../../testing/gpu';
import { Tensor, tidy } from '../../engine/tensor';
import { parseGolden } from '../numerics/golden_format';
import { fakeQuantizeBackward as cpuBackward, fakeQuantizePerChannel, fakeQuantizePerTensor } from '../numerics/fake_quantize';
import { f32Bits } from '../numerics/float32';
import { backward } from '../../engine/autograd';
import { setDispatchRecorder } from '../../engine/commands';
import { F } from '../../engine/functional';
import { fakeQuantize } from '../fake_quantize_function';
import { fakeQuantizeBackward, fakeQuantizeForward, packQParamsInto, setFakeQuantLaunch, setFakeQuantLayout, setFakeQuantRounding } from './fake_quantize';
import { deviceAdapter } from '../../engine/device';

beforeAll(async () => {
  await getTestDevice();
});

const golden = parseGolden(readFileSync('golden/pytorch_quant.json', 'utf8'), 'golden/pytorch_quant.json');

function bits(a: ArrayLike<number>): number[] {
  return Array.from(a, f32Bits);
}

describe('fake quantize kernel', () => {
  it('rounds with the magic-number path on SwiftShader (the adapter these tests run on)', () => {
    expect(deviceAdapter().swiftShader).toBe(true);
  });

  it('reproduces every golden fake_quantize case bit for bit, forward and gradient (both rounding paths)', async () => {
    for (const rounding of ['magic', 'round'] as const) {
      setFakeQuantRounding(rounding);
      await goldenCases();
    }
    setFakeQuantRounding('auto');
  });

  async function goldenCases(): Promise<void> {
    for (const c of golden.fake_quantize!) {
      const perChannel = c.kind === 'per_channel';
      const shape = perChannel ? c.shape : [c.x.length];
      const scales = perChannel ? c.scale : [c.scale];
      const zps = perChannel ? c.zero_point : [c.zero_point];
      const axis = perChannel ? c.axis : null;
      const x = Tensor.fromArray(c.x, shape);
      const dy = Tensor.fromArray(new Float32Array(c.x.length).fill(1), shape);
      const packed = packQParamsInto(Tensor.fromArray(scales, [scales.length]), Tensor.fromArray(zps, [zps.length], 'int32'), null);
      const y = fakeQuantizeForward(x, packed, c.quant_min, c.quant_max, axis);
      const dx = fakeQuantizeBackward(x, dy, packed, c.quant_min, c.quant_max, axis);
      expect(bits(await y.read())).toEqual(bits(new Float32Array(c.y)));
      expect(bits(await dx.read())).toEqual(bits(new Float32Array(c.dx)));
    }
  }

  it('matches the CPU reference bit for bit on random data, ties and clipping included (per tensor and per channel, 3 dtypes, both launch layouts and rounding paths, default and odd launch shapes)', async () => {
    for (const rounding of ['magic', 'round'] as const) {
      setFakeQuantRounding(rounding);
      for (const layout of ['runs', 'strided'] as const) {
        for (const launch of [null, { wg: 4, epi: 3 }, { wg: 8, epi: 3, lanes: 4 }, { wg: 4, epi: 5, lanes: 2 }]) {
          setFakeQuantLayout(layout);
          setFakeQuantLaunch(launch);
          await randomParity();
        }
      }
    }
    setFakeQuantRounding('auto');
    setFakeQuantLayout('auto');
    setFakeQuantLaunch(null);
  });

  it('magic-number rounding: ties to even, huge, infinite, NaN and out-of-range inputs, every zero point of the range, as round() and the CPU reference', async () => {
    // x * (1/scale) lands on ties (k + 0.5), on the 2^22 edge of the magic window and far beyond it, on
    // ±inf, and on values just inside and outside the clamp bounds.
    const specials = [0, -0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, 127.5, 128.5, -127.5, -128.5, -129.5, 255.5, 256.5,
      2 ** 22 - 0.5, 2 ** 22, 2 ** 22 + 1, -(2 ** 22) + 0.5, -(2 ** 22), -(2 ** 22) - 1, 2 ** 23 + 2, -(2 ** 23) - 2, 12582912, -12582912,
      -12582913, -16777216, 3e7, -3e7, 1e30, -1e30, 3.4e38, -3.4e38, Infinity, -Infinity, 32767.5, 32768.5, -32768.5, -32769.5, 65535.5];
    // NaN of both signs (x86's default NaN is negative, JavaScript's positive): qmin and no gradient, as
    // PyTorch's fmin(fmax(q, qmin), qmax).
    const nanBits = new Uint32Array([0x7fc00000, 0xffc00000, 0x7f800001, 0xffffffff]);
    const data = [...specials.flatMap((v) => [v, Math.fround(v * 0.999999), Math.fround(v * 1.000001)]), ...new Float32Array(nanBits.buffer)];
    const dyData = data.map((_, i) => (i % 3) - 1.25);
    const xBits = new Float32Array(data);
    xBits.set(new Float32Array(nanBits.buffer), data.length - nanBits.length);
    const x = Tensor.fromArray(xBits, [data.length]);
    const dy = Tensor.fromArray(dyData, [data.length]);
    const ranges: [number, number, number[]][] = [[-128, 127, [-128, -1, 0, 5, 127]], [0, 255, [0, 1, 128, 255]], [-32768, 32767, [-32768, 0, 32767]]];
    for (const [qmin, qmax, zps] of ranges) {
      for (const zp of zps) {
        const packed = packQParamsInto(Tensor.fromArray([1], [1]), Tensor.fromArray([zp], [1], 'int32'), null);
        const ref = fakeQuantizePerTensor(data, 1, zp, qmin, qmax);
        for (const rounding of ['magic', 'round'] as const) {
          setFakeQuantRounding(rounding);
          expect(bits(await fakeQuantizeForward(x, packed, qmin, qmax, null).read()), `${rounding} forward qmin ${qmin} zp ${zp}`).toEqual(bits(ref.y));
          expect(bits(await fakeQuantizeBackward(x, dy, packed, qmin, qmax, null).read()), `${rounding} backward qmin ${qmin} zp ${zp}`).toEqual(bits(cpuBackward(dyData, ref.mask)));
        }
        expect(Array.from(ref.y.slice(-4))).toEqual([qmin - zp, qmin - zp, qmin - zp, qmin - zp]);
        expect(Array.from(ref.mask.slice(-4))).toEqual([0, 0, 0, 0]);
      }
    }
    setFakeQuantRounding('auto');
  });

  async function randomParity(): Promise<void> {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const ranges: [number, number][] = [[-128, 127], [0, 255], [-32768, 32767]];
    for (const [qmin, qmax] of ranges) {
      const shape = [3, 5, 4, 7];
      const n = 3 * 5 * 4 * 7;
      const scale = [0.0371, 0.1, 0.003, 0.25, 0.0078125];
      const zp = qmin === 0 ? [128, 3, 250, 0, 77] : [0, -3, 5, 0, 1];
      // Half of the values sit exactly on x = (k + 0.5) * scale, the rounding ties.
      const data = Array.from({ length: n }, (_, i) => {
        const c = Math.floor(i / 28) % 5;
        return i % 2 ? Math.fround((Math.round(rand() * 200) + 0.5) * Math.fround(scale[c]!)) : rand() * 300 * scale[c]!;
      });
      const dyData = Array.from({ length: n }, () => rand());
      const x = Tensor.fromArray(data, shape);
      const dy = Tensor.fromArray(dyData, shape);
      const packedCh = packQParamsInto(Tensor.fromArray(scale, [5]), Tensor.fromArray(zp, [5], 'int32'), null);
      const refCh = fakeQuantizePerChannel(data, shape, 1, scale, zp, qmin, qmax);
      expect(bits(await fakeQuantizeForward(x, packedCh, qmin, qmax, 1).read())).toEqual(bits(refCh.y));
      expect(bits(await fakeQuantizeBackward(x, dy, packedCh, qmin, qmax, 1).read())).toEqual(bits(cpuBackward(dyData, refCh.mask)));
      const packedT = packQParamsInto(Tensor.fromArray([scale[0]!], [1]), Tensor.fromArray([zp[0]!], [1], 'int32'), null);
      const refT = fakeQuantizePerTensor(data, scale[0]!, zp[0]!, qmin, qmax);
      expect(bits(await fakeQuantizeForward(x, packedT, qmin, qmax, null).read())).toEqual(bits(refT.y));
      expect(bits(await fakeQuantizeBackward(x, dy, packedT, qmin, qmax, null).read())).toEqual(bits(cpuBackward(dyData, refT.mask)));
    }
  }

  it('handles sizes that are not a multiple of 4 and channels that split a vec4', async () => {
    const shape = [3, 5, 3];
    const n = 45;
    const data = Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 2);
    const dyData = Array.from({ length: n }, (_, i) => Math.cos(i));
    const x = Tensor.fromArray(data, shape);
    const dy = Tensor.fromArray(dyData, shape);
    const scale = [0.01, 0.02, 0.03, 0.04, 0.05];
    const zp = [1, 2, 3, 4, 5];
    const packed = packQParamsInto(Tensor.fromArray(scale, [5]), Tensor.fromArray(zp, [5], 'int32'), null);
    const ref = fakeQuantizePerChannel(data, shape, 1, scale, zp, 0, 255);
    expect(bits(await fakeQuantizeForward(x, packed, 0, 255, 1).read())).toEqual(bits(ref.y));
    expect(bits(await fakeQuantizeBackward(x, dy, packed, 0, 255, 1).read())).toEqual(bits(cpuBackward(dyData, ref.mask)));
    const one = Tensor.fromArray([0.3], [1]);
    const p1 = packQParamsInto(Tensor.fromArray([0.25], [1]), Tensor.fromArray([0], [1], 'int32'), null);
    expect(Array.from(await fakeQuantizeForward(one, p1, -128, 127, null).read())).toEqual([0.25]);
  });

  it('fuses the ReLU gradient into the straight-through backward bit for bit (kernel and autograd rule)', async () => {
    let seed = 5;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const shape = [2, 3, 6, 7];
    const n = 2 * 3 * 6 * 7;
    const scale = 0.05;
    // Negative values, exact zeros, negative zeros, ties, values clipped at quant_max.
    const z = Array.from({ length: n }, (_, i) => [-0, 0, 6.4 + i * 0.01, (i % 9) * 0.025, rand() * 4][i % 5]!);
    const dyData = Array.from({ length: n }, () => rand());
    const packed = packQParamsInto(Tensor.fromArray([scale], [1]), Tensor.fromArray([0], [1], 'int32'), null);
    const relu = z.map((v) => Math.max(v, 0));
    const ref = fakeQuantizePerTensor(relu, scale, 0, -128, 127);
    const steMasked = cpuBackward(dyData, ref.mask);
    const expected = Array.from(steMasked, (g, i) => (relu[i]! > 0 ? g : 0));
    for (const layout of ['runs', 'strided'] as const) {
      setFakeQuantLayout(layout);
      const xr = Tensor.fromArray(relu, shape);
      const got = fakeQuantizeBackward(xr, Tensor.fromArray(dyData, shape), packed, -128, 127, null, true);
      expect(bits(await got.read())).toEqual(bits(new Float32Array(expected)));
    }
    setFakeQuantLayout('auto');
    // Through the tape: fake_quantize(relu(z)) takes the fused rule and gives the two-kernel gradient.
    const zt = Tensor.fromArray(z, shape);
    zt.requiresGrad = true;
    const y = fakeQuantize(F.relu(zt), packed, -128, 127, null);
    const kernels: string[] = [];
    setDispatchRecorder((d) => kernels.push(d.pipeline.label));
    backward(y, Tensor.fromArray(dyData, shape));
    setDispatchRecorder(null);
    expect(kernels.filter((k) => k.startsWith('fake_quant:'))).toHaveLength(1);
    expect(kernels.some((k) => k.includes('relu_backward'))).toBe(false);
    expect(bits(await zt.grad!.read())).toEqual(bits(new Float32Array(expected)));
  });

  it('computes 1/scale exactly (correctly rounded) for awkward scales', async () => {
    const scales = Array.from({ length: 4096 }, (_, i) => Math.fround(Math.exp((i / 4096) * 20 - 14) * (1 + (i % 7) * 1e-3)));
    const packed = tidy(() => packQParamsInto(Tensor.fromArray(scales, [scales.length]), Tensor.zeros([scales.length], 'int32'), null));
    const got = await packed.read();
    const inv = Array.from({ length: scales.length }, (_, i) => got[i * 4 + 1]!);
    expect(bits(inv)).toEqual(bits(scales.map((s) => Math.fround(1 / s))));
  });
});
