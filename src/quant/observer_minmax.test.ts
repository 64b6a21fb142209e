import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import { Tensor } from '../engine/tensor';
import { parseGolden, type GoldenObserver } from './numerics/golden_format';
import { f32Bits } from './numerics/float32';
import { aminmax, aminmaxPerChannel, updateMinMax, type MinMax } from './numerics/minmax';
import { calculateQParams } from './numerics/qparams';
import {
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  PerChannelMinMaxObserver,
  type MinMaxFamilyObserver,
} from './observer';
import type { ObserverArgs } from './observer_base';

beforeAll(async () => {
  await getTestDevice();
});

const golden = parseGolden(readFileSync('golden/pytorch_quant.json', 'utf8'));
const bits = (a: ArrayLike<number>) => Array.from(a, f32Bits);

const classes = { MinMaxObserver, MovingAverageMinMaxObserver, PerChannelMinMaxObserver, MovingAveragePerChannelMinMaxObserver };

function make(c: GoldenObserver): MinMaxFamilyObserver {
  const { cls, ...options } = c.config;
  const Cls = classes[cls as keyof typeof classes];
  return new Cls(options as Partial<ObserverArgs>);
}

describe('MinMax observers on the GPU', () => {
  const cases = golden.observers!.filter((c) => c.observer in classes);

  it('has the golden cases', () => {
    expect(cases.length).toBe(8);
  });

  for (const c of cases) {
    it(`${c.observer} ${JSON.stringify(c.config)}: min/max and qparams equal PyTorch's`, async () => {
      const obs = make(c);
      for (const b of c.batches) obs(Tensor.fromArray(b.data, b.shape));
      const [scale, zp] = obs.calculate_qparams();
      expect(bits(await obs.min_val.read())).toEqual(bits(c.min_val));
      expect(bits(await obs.max_val.read())).toEqual(bits(c.max_val));
      expect(bits(await scale.read())).toEqual(bits(c.scale));
      expect(Array.from(await zp.read())).toEqual(c.zero_point);
    });
  }

  it('matches the CPU reference on other axes, shapes and averaging constants', async () => {
    let seed = 3;
    const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
    const shape = [2, 3, 5, 70];
    const batches = Array.from({ length: 3 }, (_, k) => Array.from({ length: 2 * 3 * 5 * 70 }, () => rand() * (k + 1) * 3 + 0.5));
    for (const axis of [0, 1, 2, 3]) {
      for (const c of [null, 0.3]) {
        const obs = new PerChannelMinMaxObserver({ ch_axis: axis, averaging_constant: c ?? undefined, qscheme: 'per_channel_affine', dtype: 'quint8' });
        let state: MinMax | null = null;
        for (const b of batches) {
          obs(Tensor.fromArray(b, shape));
          state = updateMinMax(state, aminmaxPerChannel(b, shape, axis), c);
        }
        expect(bits(await obs.min_val.read())).toEqual(bits(state!.min));
        expect(bits(await obs.max_val.read())).toEqual(bits(state!.max));
        const ref = calculateQParams(state!.min, state!.max, obs.qparamsConfig);
        const [scale, zp] = obs.calculate_qparams();
        expect(bits(await scale.read())).toEqual(bits(ref.scale));
        expect(Array.from(await zp.read())).toEqual(Array.from(ref.zero_point));
      }
    }
    // A large per-tensor input spans many workgroups.
    const big = Array.from({ length: 300_001 }, () => rand() * 10);
    big[123_457] = 55.5;
    big[299_999] = -77.25;
    const obs = new MovingAverageMinMaxObserver({ averaging_constant: 0.25 });
    obs(Tensor.fromArray(big.slice(0, 1000), [1000]));
    obs(Tensor.fromArray(big, [big.length]));
    const first = aminmax(big.slice(0, 1000));
    const s = updateMinMax(updateMinMax(null, { min: new Float32Array([first[0]]), max: new Float32Array([first[1]]) }, 0.25), (() => {
      const [lo, hi] = aminmax(big);
      return { min: new Float32Array([lo]), max: new Float32Array([hi]) };
    })(), 0.25);
    expect(bits(await obs.min_val.read())).toEqual(bits(s.min));
    expect(bits(await obs.max_val.read())).toEqual(bits(s.max));
  });

  it('reduces in both per-channel paths (one pass for small channels, partials for large) and takes the elements past the last vec4', async () => {
    let seed = 11;
    const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
    // [3, 5, 1100, 7] on axis 1: 23100 elements per channel, rows of 7700 (several chunks per row).
    for (const [shape, axis] of [
      [[3, 5, 1100, 7], 1],
      [[6, 4100], 0],
      [[2, 3, 9000], 2],
    ] as const) {
      const n = shape.reduce((a, b) => a * b, 1);
      const batches = Array.from({ length: 2 }, (_, k) => Array.from({ length: n }, () => rand() * (k + 2)));
      batches[1]![n - 1] = 99.5;
      batches[1]![n - 2] = -98.25;
      for (const c of [null, 0.1]) {
        const obs = new PerChannelMinMaxObserver({ ch_axis: axis, averaging_constant: c ?? undefined, qscheme: 'per_channel_affine', dtype: 'quint8' });
        let state: MinMax | null = null;
        for (const b of batches) {
          obs(Tensor.fromArray(b, [...shape]));
          state = updateMinMax(state, aminmaxPerChannel(b, shape, axis), c);
        }
        expect(bits(await obs.min_val.read())).toEqual(bits(state!.min));
        expect(bits(await obs.max_val.read())).toEqual(bits(state!.max));
      }
    }
    // Per tensor: extremes in the 1-3 elements past the last whole vec4, and inputs shorter than a vec4.
    for (const n of [1, 2, 3, 5, 1030, 4097, 70_003]) {
      for (const where of [n - 1, 0, Math.floor(n / 2)]) {
        const data = Array.from({ length: n }, () => rand());
        data[where] = 7.5;
        data[n - 1 - where] = -6.25;
        const obs = new MinMaxObserver();
        obs(Tensor.fromArray(data, [n]));
        const [lo, hi] = aminmax(data);
        expect([f32Bits((await obs.min_val.read())[0]!), f32Bits((await obs.max_val.read())[0]!)]).toEqual([f32Bits(lo), f32Bits(hi)]);
      }
    }
  });

  it('gives scale 1, zero point 0 before any data, and per-channel channel mismatches name both', async () => {
    const obs = new MinMaxObserver();
    const [scale, zp] = obs.calculate_qparams();
    expect(Array.from(await scale.read())).toEqual([1]);
    expect(Array.from(await zp.read())).toEqual([0]);
    const pc = new PerChannelMinMaxObserver();
    pc(Tensor.fromArray(new Float32Array(6), [3, 2]));
    expect(() => pc(Tensor.fromArray(new Float32Array(8), [4, 2]))).toThrow(/has 4 channels on axis 0, the observer has seen 3/);
  });
});
