import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor } from '../../engine/tensor';
import { getTestDevice } from '../../testing/gpu';
import { intAddCpu } from '../cpu/int_add';
import { avgPool2dIntCpu, avgPool2dOutputShape, maxAvgPoolDivisor, maxPool2dIntCpu, maxPool2dOutputShape } from '../cpu/int_pool';
import { dequantizeCpu, quantizeCpu } from '../cpu/quantize';
import { requantizeCpu } from '../cpu/requantize';
import type { ActDType, AddOpSpec, AvgPool2dOpSpec, MaxPool2dOpSpec, RequantizeOpSpec } from '../ops';
import { makeRescaleParams, REQUANT_MODES, type RequantMode } from '../requant';
import { paddingLanes, randomInts, seeded } from '../testing';
import { INT_RANGE, type IntDType } from '../types';
import { intAddGpu } from './int_add';
import { avgPool2dIntGpu, avgPoolTable, maxPool2dIntGpu } from './int_pool';
import { dequantizeGpu, dequantizeTable, quantizeGpu } from './quantize';
import { requantizeGpu, requantizeTable } from './requantize';
import { fromDevice, toDevice } from './transfer';

beforeAll(async () => {
  await getTestDevice();
});

function countDiffs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && a[i] !== b[i]) d++;
  return d;
}

/** Accumulators that stress the rounding: extremes, values past 2^24, and exact ties for the scales below. */
function edgeAccumulators(rand: () => number, n: number): Int32Array {
  const special = [0, 1, -1, 2, -2, 3, -3, 5, -5, 7, -7, 2147483647, -2147483648, -2147483647, 16777217, -16777217, 16777219, 33554435, -33554435, 1 << 30, -(1 << 30), 12345678, -98765432];
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rand();
    out[i] = i < special.length ? special[i] : r < 0.3 ? Math.floor((rand() - 0.5) * 200) : r < 0.6 ? Math.floor((rand() - 0.5) * 2e6) : Math.floor((rand() - 0.5) * 4.2e9);
  }
  return out;
}

describe('requantize kernel (int8/int16/int32 → int8/int16) matches the CPU reference', () => {
  // Multipliers with exact float ties (0.5, 0.25, 0.125), M > 1, tiny, and ordinary per-channel values.
  const multipliers = [0.5, 0.25, 0.125, 3.75, 1.0, 2 ** -20, 0.0123, 0.3331];
  const combos: Array<[IntDType, ActDType]> = [
    ['int32', 'int8'],
    ['int32', 'int16'],
    ['int8', 'int16'],
    ['int16', 'int8'],
  ];
  for (const mode of REQUANT_MODES) {
    for (const [xDtype, outDtype] of combos) {
      it(`${xDtype} → ${outDtype}, ${mode}`, async () => {
        const rand = seeded(5);
        const shape = [2, 8, 5, 7] as const;
        const n = shape[0] * shape[1] * shape[2] * shape[3];
        const x = xDtype === 'int32' ? edgeAccumulators(rand, n) : randomInts(rand, n, ...INT_RANGE[xDtype]);
        const yZeroPoint = outDtype === 'int8' ? -7 : 100;
        const spec: RequantizeOpSpec = {
          mode,
          shape,
          xDtype,
          xZeroPoint: xDtype === 'int32' ? 0 : 3,
          requant: makeRescaleParams(multipliers),
          outDtype,
          yZeroPoint,
          clamp: [INT_RANGE[outDtype][0], INT_RANGE[outDtype][1]],
        };
        const expected = requantizeCpu(spec, x);
        const table = requantizeTable(spec);
        const xt = toDevice(x, shape, xDtype, spec.xZeroPoint);
        const y = requantizeGpu(spec, xt, table);
        expect(countDiffs(await fromDevice(y, shape), expected)).toBe(0);
        expect(new Set(expected).size).toBeGreaterThan(10);
        for (const t of [table, xt, y]) t.dispose();
      });
    }
  }
});

describe('integer add matches the CPU reference', () => {
  const combos: Array<[ActDType, ActDType, ActDType, boolean]> = [
    ['int8', 'int8', 'int8', false],
    ['int8', 'int8', 'int8', true],
    ['int16', 'int8', 'int16', false],
    ['int8', 'int16', 'int8', true],
  ];
  for (const mode of REQUANT_MODES) {
    for (const [ad, bd, yd, relu] of combos) {
      it(`${ad} + ${bd} → ${yd}${relu ? ' relu' : ''}, ${mode}`, async () => {
        const rand = seeded(9);
        const shape = [2, 6, 3, 5] as const;
        const n = shape[0] * shape[1] * shape[2] * shape[3];
        const a = randomInts(rand, n, ...INT_RANGE[ad]);
        const b = randomInts(rand, n, ...INT_RANGE[bd]);
        const yz = yd === 'int8' ? 4 : -50;
        const spec: AddOpSpec = {
          mode,
          shape,
          a: { dtype: ad, zeroPoint: ad === 'int8' ? -3 : 11, requant: makeRescaleParams([ad === 'int8' ? 0.75 : 0.006]) },
          b: { dtype: bd, zeroPoint: 2, requant: makeRescaleParams([bd === 'int8' ? 0.5 : 0.004]) },
          outDtype: yd,
          yZeroPoint: yz,
          clamp: [relu ? yz : INT_RANGE[yd][0], INT_RANGE[yd][1]],
        };
        const expected = intAddCpu(spec, a, b);
        const at = toDevice(a, shape, ad, spec.a.zeroPoint);
        const bt = toDevice(b, shape, bd, spec.b.zeroPoint);
        const y = intAddGpu(spec, at, bt);
        expect(countDiffs(await fromDevice(y, shape), expected)).toBe(0);
        expect((await paddingLanes(y, shape[1])).every((v) => v === yz)).toBe(true);
        for (const t of [at, bt, y]) t.dispose();
      });
    }
  }
});

describe('integer pooling matches the CPU reference', () => {
  const maxCases: Array<Omit<MaxPool2dOpSpec, 'xShape' | 'dtype'> & { name: string }> = [
    { name: '2x2 stride 2', kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false },
    { name: '3x3 stride 2 pad 1', kernel: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], ceilMode: false },
    { name: '2x2 stride 2 ceil_mode', kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: true },
    { name: '2x3 dilation 2', kernel: [2, 3], stride: [1, 2], padding: [1, 1], dilation: [2, 2], ceilMode: false },
  ];
  for (const dtype of ['int8', 'int16'] as const) {
    for (const c of maxCases) {
      it(`max_pool2d ${c.name}, ${dtype}`, async () => {
        const rand = seeded(21);
        const xShape = [2, 5, 7, 9] as const;
        const x = randomInts(rand, 2 * 5 * 7 * 9, ...INT_RANGE[dtype]);
        const spec: MaxPool2dOpSpec = { ...c, xShape, dtype };
        const expected = maxPool2dIntCpu(spec, x);
        const xt = toDevice(x, xShape, dtype, -1);
        const y = maxPool2dIntGpu(spec, xt);
        expect(countDiffs(await fromDevice(y, maxPool2dOutputShape(spec)), expected)).toBe(0);
        expect((await paddingLanes(y, 5)).every((v) => v === -1)).toBe(true);
        xt.dispose();
        y.dispose();
      });
    }
  }

  const avgCases: Array<Pick<AvgPool2dOpSpec, 'kernel' | 'stride' | 'padding' | 'ceilMode' | 'countIncludePad' | 'divisorOverride'> & { name: string; shape?: readonly [number, number, number, number] }> = [
    { name: '2x2 stride 2', kernel: [2, 2], stride: [2, 2], padding: [0, 0], ceilMode: false, countIncludePad: true, divisorOverride: null },
    { name: '3x3 pad 1 count_include_pad', kernel: [3, 3], stride: [1, 1], padding: [1, 1], ceilMode: false, countIncludePad: true, divisorOverride: null },
    { name: '3x3 pad 1 without pad in count', kernel: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: false, countIncludePad: false, divisorOverride: null },
    { name: '2x2 ceil_mode', kernel: [2, 2], stride: [2, 2], padding: [0, 0], ceilMode: true, countIncludePad: true, divisorOverride: null },
    { name: 'divisor_override 5', kernel: [2, 2], stride: [1, 1], padding: [0, 0], ceilMode: false, countIncludePad: true, divisorOverride: 5 },
    { name: 'global 7x9', kernel: [7, 9], stride: [7, 9], padding: [0, 0], ceilMode: false, countIncludePad: true, divisorOverride: null },
  ];
  for (const mode of REQUANT_MODES) {
    for (const c of avgCases) {
      it(`avg_pool2d ${c.name}, ${mode}`, async () => {
        const rand = seeded(33);
        const xShape = [2, 6, 7, 9] as const;
        const x = randomInts(rand, 2 * 6 * 7 * 9, -128, 127);
        const sx = 0.05;
        const sy = 0.04;
        const top = maxAvgPoolDivisor({ kernel: c.kernel, divisorOverride: c.divisorOverride });
        const multipliers = Array.from({ length: top + 1 }, (_, d) => (d === 0 ? 0 : sx / (sy * d)));
        const spec: AvgPool2dOpSpec = { ...c, mode, xShape, xDtype: 'int8', xZeroPoint: 6, requant: makeRescaleParams(multipliers), outDtype: 'int8', yZeroPoint: -2, clamp: [-128, 127] };
        const expected = avgPool2dIntCpu(spec, x);
        const table = avgPoolTable(spec);
        const xt = toDevice(x, xShape, 'int8', 6);
        const y = avgPool2dIntGpu(spec, xt, table);
        expect(countDiffs(await fromDevice(y, avgPool2dOutputShape(spec)), expected)).toBe(0);
        expect((await paddingLanes(y, 6)).every((v) => v === -2)).toBe(true);
        for (const t of [table, xt, y]) t.dispose();
      });
    }
  }
});

describe('quantize and dequantize at the model boundary match the CPU reference', () => {
  for (const outDtype of ['int8', 'int16'] as const) {
    it(`quantize float → ${outDtype}, with ties and out-of-range values`, async () => {
      const rand = seeded(44);
      const shape = [3, 5, 4, 3] as const;
      const n = 3 * 5 * 4 * 3;
      const scale = outDtype === 'int8' ? 0.0625 : 1 / 1024; // powers of two: the ties below are exact
      const zeroPoint = outDtype === 'int8' ? -20 : 7;
      const values = Array.from({ length: n }, (_, i) => {
        if (i % 7 === 0) return (Math.floor(rand() * 40) - 20 + 0.5) * scale; // exact ties
        if (i % 11 === 0) return (rand() - 0.5) * 1e6; // saturates
        return (rand() - 0.5) * 300 * scale;
      });
      const spec = { shape, scale, zeroPoint, outDtype, clamp: INT_RANGE[outDtype] } as const;
      const expected = quantizeCpu(spec, values);
      const x = Tensor.fromArray(values, shape);
      const y = quantizeGpu(spec, x);
      expect(countDiffs(await fromDevice(y, shape), expected)).toBe(0);
      expect((await paddingLanes(y, 5)).every((v) => v === zeroPoint)).toBe(true);
      // ties went to even
      expect(quantizeCpu(spec, [0.5 * scale, 1.5 * scale, -0.5 * scale])).toEqual(Int32Array.from([zeroPoint, zeroPoint + 2, zeroPoint]));
      x.dispose();
      y.dispose();
    });
  }

  for (const xDtype of ['int8', 'int16', 'int32'] as const) {
    it(`dequantize ${xDtype} → float, per channel`, async () => {
      const rand = seeded(55);
      const shape = [2, 6, 3, 2] as const;
      const n = 2 * 6 * 3 * 2;
      const x = xDtype === 'int32' ? edgeAccumulators(rand, n) : randomInts(rand, n, ...INT_RANGE[xDtype]);
      const zeroPoint = xDtype === 'int32' ? 0 : 5;
      const spec = { shape, xDtype, zeroPoint, scale: [0.1, 0.02, 0.003, 1e-5, 7, 0.5] };
      const expected = dequantizeCpu(spec, x);
      const table = dequantizeTable(spec);
      const xt = toDevice(x, shape, xDtype, zeroPoint);
      const y = dequantizeGpu(spec, xt, table);
      const got = await y.read();
      expect(countDiffs(got, expected)).toBe(0);
      for (const t of [table, xt, y]) t.dispose();
    });
  }
});

describe('the requant modes differ where they should', () => {
  it('float mode rounds ties to even; multiplier mode as gemmlowp does', () => {
    const spec = (mode: RequantMode, m: number): RequantizeOpSpec => ({
      mode,
      shape: [1, 1, 1, 4],
      xDtype: 'int32',
      xZeroPoint: 0,
      requant: makeRescaleParams([m]),
      outDtype: 'int8',
      yZeroPoint: 0,
      clamp: [-128, 127],
    });
    // M = 0.25: exact ties (0.5, 1.5, −0.5, −1.5) reach the rounding shift, which rounds away from zero
    expect(Array.from(requantizeCpu(spec('float', 0.25), [2, 6, -2, -6]))).toEqual([0, 2, 0, -2]);
    expect(Array.from(requantizeCpu(spec('multiplier', 0.25), [2, 6, -2, -6]))).toEqual([1, 2, -1, -2]);
    // M = 0.5 (shift 0): the tie is decided by the doubling high multiply's nudge, which rounds half up
    expect(Array.from(requantizeCpu(spec('multiplier', 0.5), [1, 3, -1, -3]))).toEqual([1, 2, 0, -1]);
  });
});
