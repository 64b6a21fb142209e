import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import { Tensor } from '../engine/tensor';
import { f32Bits } from './numerics/float32';
import { aminmax, aminmaxPerChannel, updateMinMax, type MinMax } from './numerics/minmax';
import { mseCandidates, mseErrors, percentileObserve } from './numerics/horizon_observers';
import { emptyHistogram, histogramObserve, nonLinearParamSearch } from './numerics/histogram';
import { calculateQParams } from './numerics/qparams';
import { HistogramObserver, MSEObserver, PercentileObserver } from './observer';
import { batchMinMax, mseCandidateErrors, setMseRounding } from './kernels/observer_mse';

beforeAll(async () => {
  await getTestDevice();
});

const bits = (a: ArrayLike<number>) => Array.from(a, f32Bits);
let seed = 21;
const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
/** Roughly normal values with a few outliers, what activations look like. */
const batch = (n: number, spread: number) =>
  Array.from({ length: n }, (_, i) => (rand() + rand() + rand() - 1.5) * spread * (i % 97 === 0 ? 6 : 1));

describe('PercentileObserver on the GPU', () => {
  it('matches the CPU reference bit for bit over batches', async () => {
    const obs = new PercentileObserver({ percentile: 99.5, bins: 512, averaging_constant: 0.3 });
    let state: MinMax | null = null;
    for (const spread of [1, 3, 0.5]) {
      const x = batch(3000, spread);
      obs(Tensor.fromArray(x, [3000]));
      state = updateMinMax(state, percentileObserve(x, 0.995, 512), 0.3);
      expect(bits(await obs.min_val.read())).toEqual(bits(state.min));
      expect(bits(await obs.max_val.read())).toEqual(bits(state.max));
    }
    // It did clip: the range is inside the data's.
    const x = batch(3000, 1);
    const [lo, hi] = aminmax(x);
    const clipped = percentileObserve(x, 0.995, 512);
    expect(clipped.max[0]).toBeLessThan(hi);
    expect(clipped.min[0]).toBeGreaterThan(lo);
  });
});

describe('MSEObserver on the GPU', () => {
  /** The GPU's choice must be the CPU's, or one whose error is within 1e-5 of the best (float32 sums). */
  function expectBestChoice(x: number[], lo: number, hi: number, gotLo: number, gotHi: number, cfg: MSEObserver['qparamsConfig'], stride: number) {
    const errors = mseErrors(x, lo, hi, cfg, stride);
    const best = Math.min(...errors);
    const k = mseCandidates(stride).findIndex(({ factor }) => Math.fround(lo * factor) === gotLo && Math.fround(hi * factor) === gotHi);
    expect(k, `${gotLo}, ${gotHi} is not a candidate of [${lo}, ${hi}]`).toBeGreaterThanOrEqual(0);
    expect(errors[k]! - best).toBeLessThanOrEqual(1e-5 * best);
  }

  it('per tensor: picks the least-error candidate and keeps a moving average', async () => {
    const obs = new MSEObserver({ averaging_constant: 0.5 });
    const x1 = batch(5000, 2);
    obs(Tensor.fromArray(x1, [5000]));
    const [lo, hi] = aminmax(x1);
    const gotLo = (await obs.min_val.read())[0]!;
    const gotHi = (await obs.max_val.read())[0]!;
    expectBestChoice(x1, lo, hi, gotLo, gotHi, obs.qparamsConfig, 1);
    expect(gotHi).toBeLessThan(hi);
    const x2 = batch(5000, 1);
    obs(Tensor.fromArray(x2, [5000]));
    // The state is the moving average towards the chosen candidate of batch 2: find which one, check it is a best one.
    const [lo2, hi2] = aminmax(x2);
    const gotState = [(await obs.min_val.read())[0]!, (await obs.max_val.read())[0]!];
    const errors = mseErrors(x2, lo2, hi2, obs.qparamsConfig, 1);
    const chosen = mseCandidates(1).findIndex(({ factor }) => {
      const s = updateMinMax(
        { min: new Float32Array([gotLo]), max: new Float32Array([gotHi]) },
        { min: new Float32Array([Math.fround(lo2 * factor)]), max: new Float32Array([Math.fround(hi2 * factor)]) },
        0.5,
      );
      return s.min[0] === gotState[0] && s.max[0] === gotState[1];
    });
    expect(chosen).toBeGreaterThanOrEqual(0);
    expect(errors[chosen]! - Math.min(...errors)).toBeLessThanOrEqual(1e-5 * Math.min(...errors));
  });

  it('the magic-number error kernel (SwiftShader) gives the round()/clamp() errors bit for bit, and the CPU reference within float32 summation', async () => {
    const cfg = new MSEObserver({}).qparamsConfig;
    // Activations, plus values that land on rounding ties of the widest candidate and past the clamp.
    const base = batch(6000, 2);
    const x = [...base, ...Array.from({ length: 200 }, (_, i) => (i - 100) * 0.5 * (Math.max(...base) / 127)), 40, -40];
    for (const [shape, axis] of [[[x.length], null], [[2, 3101], 0]] as const) {
      const xt = Tensor.fromArray(x, [...shape]);
      const [lo, hi] = batchMinMax(xt, axis);
      const got: number[][] = [];
      for (const rounding of ['magic', 'round'] as const) {
        setMseRounding(rounding);
        const { cand, errors } = mseCandidateErrors(xt, axis, lo, hi, cfg, 1);
        got.push(Array.from(await errors.read()));
        cand.dispose();
        errors.dispose();
      }
      setMseRounding('auto');
      expect(bits(got[0]!)).toEqual(bits(got[1]!));
      const channels = axis === null ? 1 : shape[0];
      const los = await lo.read();
      const his = await hi.read();
      for (let c = 0; c < channels; c++) {
        const xc = axis === null ? x : x.slice(c * 3101, (c + 1) * 3101);
        const ref = mseErrors(xc, los[c]!, his[c]!, cfg, 1);
        ref.forEach((e, k) => expect(Math.abs(got[0]![c * ref.length + k]! - e)).toBeLessThanOrEqual(1e-5 * e + 1e-6));
      }
    }
  });

  it('per channel along ch_axis, with a stride', async () => {
    const obs = new MSEObserver({ qscheme: 'per_channel_symmetric', ch_axis: 0, stride: 5 });
    const shape = [4, 3, 3, 3];
    const w = Array.from({ length: 108 }, (_, i) => batch(1, 0.2 * (1 + (Math.floor(i / 27) % 4)))[0]!);
    obs(Tensor.fromArray(w, shape));
    const { min, max } = aminmaxPerChannel(w, shape, 0);
    const gotLo = await obs.min_val.read();
    const gotHi = await obs.max_val.read();
    for (let c = 0; c < 4; c++) {
      const xc = w.slice(c * 27, (c + 1) * 27);
      expectBestChoice(xc, min[c]!, max[c]!, gotLo[c]!, gotHi[c]!, obs.qparamsConfig, 5);
    }
  });
  it('per channel along an inner axis, runs of elements crossing the outer dimension', async () => {
    const obs = new MSEObserver({ qscheme: 'per_channel_symmetric', ch_axis: 1 });
    const shape = [3, 4, 5, 70];
    const x = Array.from({ length: 4200 }, (_, i) => batch(1, 0.5 * (1 + (Math.floor(i / 350) % 4)))[0]!);
    obs(Tensor.fromArray(x, shape));
    const { min, max } = aminmaxPerChannel(x, shape, 1);
    const gotLo = await obs.min_val.read();
    const gotHi = await obs.max_val.read();
    for (let c = 0; c < 4; c++) {
      const xc = x.filter((_, i) => Math.floor(i / 350) % 4 === c);
      expectBestChoice(xc, min[c]!, max[c]!, gotLo[c]!, gotHi[c]!, obs.qparamsConfig, 1);
    }
  });
});

describe('HistogramObserver on the GPU beyond the golden case', () => {
  it('follows the CPU reference over batches whose ranges grow and shrink (histogram 1e-6, qparams exact)', async () => {
    const obs = new HistogramObserver({ bins: 1024, dtype: 'qint8', qscheme: 'per_tensor_symmetric' });
    let ref = emptyHistogram(1024);
    for (const spread of [1, 2.5, 0.7, 4]) {
      const x = batch(4096, spread);
      obs(Tensor.fromArray(x, [4096]));
      ref = histogramObserve(ref, x, { bins: 1024, upsample_rate: 128, truncate_range: true });
    }
    expect(bits(await obs.min_val.read())).toEqual(bits([ref.min_val]));
    expect(bits(await obs.max_val.read())).toEqual(bits([ref.max_val]));
    const hist = await obs.histogram.read();
    let worst = 0;
    for (let i = 0; i < 1024; i++) worst = Math.max(worst, Math.abs(hist[i]! - ref.histogram[i]!) / Math.max(1, Math.abs(ref.histogram[i]!)));
    expect(worst).toBeLessThanOrEqual(1e-6);
    const [lo, hi] = nonLinearParamSearch(ref, obs.dst_nbins);
    const q = calculateQParams([lo], [hi], obs.qparamsConfig);
    const [scale, zp] = obs.calculate_qparams();
    expect(Math.abs((await scale.read())[0]! - q.scale[0]!)).toBeLessThanOrEqual(1e-6 * q.scale[0]!);
    expect(Array.from(await zp.read())).toEqual(Array.from(q.zero_point));
  });

  it('restarts on a batch whose range is too far out to merge, as later PyTorch does', async () => {
    const obs = new HistogramObserver({ bins: 256 });
    let ref = emptyHistogram(256);
    for (const x of [batch(1000, 0.001), [...batch(999, 0.001), 5e5]]) {
      obs(Tensor.fromArray(x, [x.length]));
      ref = histogramObserve(ref, x, { bins: 256, upsample_rate: 128, truncate_range: true });
    }
    expect(ref.max_val).toBe(Math.fround(5e5));
    expect(bits(await obs.max_val.read())).toEqual(bits([ref.max_val]));
    expect(bits(await obs.histogram.read())).toEqual(bits(ref.histogram));
  });
});
