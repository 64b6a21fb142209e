/**
 * Golden checks on the CPU reference (the living definition). Each check returns a verdict; the GPU
 * checks (kernels/golden_gpu.ts) compare the WGSL kernels with the same cases and tolerances:
 *   fake_quantize:            y and dx bit-exact (dy = 1)
 *   observers:                min_val/max_val bit-exact, scale bit-exact, zero_point equal;
 *                             HistogramObserver scale within 1e-6 relative
 *   learnable_fake_quantize:  y and dx bit-exact, dscale/dzero_point within 1e-5 relative
 */
import type { GoldenFakeQuantize, GoldenLearnableFakeQuantize, GoldenObserver } from './golden_format';
import { bitsEqual, intsEqual, relClose, verdict, type Comparison } from './golden_compare';
import { fakeQuantizeBackward, fakeQuantizePerChannel, fakeQuantizePerTensor } from './fake_quantize';
import { lsqBackwardPerChannel, lsqBackwardPerTensor, lsqForwardPerChannel, lsqForwardPerTensor, lsqGradFactor } from './lsq';
import { aminmax, aminmaxPerChannel, updateMinMax, type MinMax } from './minmax';
import { calculateQParams, type QParamsConfig } from './qparams';
import { emptyHistogram, histogramObserve, nonLinearParamSearch } from './histogram';
import { mseObserve, percentileObserve } from './horizon_observers';
import { isPerChannel } from '../types';

export const HISTOGRAM_SCALE_RTOL = 1e-6;
export const LSQ_GRAD_RTOL = 1e-5;

export function fakeQuantizeCaseName(c: GoldenFakeQuantize): string {
  return c.kind === 'per_tensor'
    ? `per_tensor scale=${c.scale} zp=${c.zero_point} [${c.quant_min}, ${c.quant_max}]`
    : `per_channel [${c.shape.join('x')}] axis=${c.axis} [${c.quant_min}, ${c.quant_max}]`;
}

export function checkFakeQuantizeCpu(c: GoldenFakeQuantize): Comparison {
  const r =
    c.kind === 'per_tensor'
      ? fakeQuantizePerTensor(c.x, c.scale, c.zero_point, c.quant_min, c.quant_max)
      : fakeQuantizePerChannel(c.x, c.shape, c.axis, c.scale, c.zero_point, c.quant_min, c.quant_max);
  const dx = fakeQuantizeBackward(new Float32Array(c.x.length).fill(1), r.mask);
  return verdict([bitsEqual('y', r.y, c.y), bitsEqual('dx', dx, c.dx)]);
}

export function observerCaseName(c: GoldenObserver): string {
  const { cls: _cls, ...options } = c.config;
  return `${c.observer} ${JSON.stringify(options)}`;
}

/** What an observer case resolved to: the options the checks need, taken from the observer class itself. */
export interface ResolvedObserver {
  qparams: QParamsConfig;
  ch_axis: number;
  averaging_constant: number | null;
  bins: number;
  upsample_rate: number;
  stride: number;
  percentile: number;
  dst_nbins: number;
}

export interface ObserverOutcome {
  min_val: ArrayLike<number>;
  max_val: ArrayLike<number>;
  scale: ArrayLike<number>;
  zero_point: ArrayLike<number>;
}

export function compareObserver(c: GoldenObserver, got: ObserverOutcome): Comparison {
  const scale =
    c.observer === 'HistogramObserver'
      ? relClose('scale', got.scale, c.scale, HISTOGRAM_SCALE_RTOL)
      : bitsEqual('scale', got.scale, c.scale);
  return verdict([
    bitsEqual('min_val', got.min_val, c.min_val),
    bitsEqual('max_val', got.max_val, c.max_val),
    scale,
    intsEqual('zero_point', got.zero_point, c.zero_point),
  ]);
}

const MINMAX_FAMILY = ['MinMaxObserver', 'MovingAverageMinMaxObserver', 'PerChannelMinMaxObserver', 'MovingAveragePerChannelMinMaxObserver'];

/** Runs an observer case on the CPU reference. */
export function runObserverCpu(c: GoldenObserver, r: ResolvedObserver): ObserverOutcome {
  const perChannel = isPerChannel(r.qparams.qscheme);
  const perTensorState = (x: ArrayLike<number>): MinMax => {
    const [lo, hi] = aminmax(x);
    return { min: new Float32Array([lo]), max: new Float32Array([hi]) };
  };
  if (MINMAX_FAMILY.includes(c.observer)) {
    let state: MinMax | null = null;
    for (const b of c.batches) {
      const cur = perChannel ? aminmaxPerChannel(b.data, b.shape, r.ch_axis) : perTensorState(b.data);
      state = updateMinMax(state, cur, r.averaging_constant);
    }
    const q = calculateQParams(state!.min, state!.max, r.qparams);
    return { min_val: state!.min, max_val: state!.max, scale: q.scale, zero_point: q.zero_point };
  }
  if (c.observer === 'HistogramObserver') {
    let state = emptyHistogram(r.bins);
    for (const b of c.batches) state = histogramObserve(state, b.data, { bins: r.bins, upsample_rate: r.upsample_rate, truncate_range: true });
    const [lo, hi] = nonLinearParamSearch(state, r.dst_nbins);
    const q = calculateQParams([lo], [hi], r.qparams);
    return { min_val: [state.min_val], max_val: [state.max_val], scale: q.scale, zero_point: q.zero_point };
  }
  if (c.observer === 'MSEObserver' || c.observer === 'PercentileObserver') {
    let state: MinMax | null = null;
    for (const b of c.batches) {
      const cur =
        c.observer === 'MSEObserver'
          ? mseObserve(b.data, b.shape, perChannel ? r.ch_axis : null, r.qparams, r.stride)
          : percentileObserve(b.data, r.percentile / 100, r.bins);
      state = updateMinMax(state, cur, r.averaging_constant);
    }
    const q = calculateQParams(state!.min, state!.max, r.qparams);
    return { min_val: state!.min, max_val: state!.max, scale: q.scale, zero_point: q.zero_point };
  }
  throw new Error(`observer '${c.observer}' has no CPU reference here`);
}

export function lsqCaseName(c: GoldenLearnableFakeQuantize): string {
  const where = c.shape ? `per_channel [${c.shape.join('x')}] axis=${c.axis}` : 'per_tensor';
  return `${where} [${c.quant_min}, ${c.quant_max}] use_grad_scaling=${c.use_grad_scaling}`;
}

export interface LsqOutcome {
  y: ArrayLike<number>;
  dx: ArrayLike<number>;
  dscale: ArrayLike<number>;
  dzero_point: ArrayLike<number>;
}

export function compareLsq(c: GoldenLearnableFakeQuantize, got: LsqOutcome): Comparison {
  // A sum that cancels to ~0 (dzero_point with nothing clipped) gets an absolute floor of 1e-5 * |dy|_1 / n.
  const floor = (LSQ_GRAD_RTOL * c.dy.reduce((s, v) => s + Math.abs(v), 0)) / Math.max(1, c.dy.length);
  return verdict([
    bitsEqual('y', got.y, c.y),
    bitsEqual('dx', got.dx, c.dx),
    relClose('dscale', got.dscale, c.dscale, LSQ_GRAD_RTOL, floor),
    relClose('dzero_point', got.dzero_point, c.dzero_point, LSQ_GRAD_RTOL, floor),
  ]);
}

export function runLsqCpu(c: GoldenLearnableFakeQuantize): LsqOutcome {
  const gf = lsqGradFactor(c.x.length, c.quant_max, c.use_grad_scaling);
  if (c.shape && c.axis !== undefined) {
    const scale = c.scale as number[];
    const zp = c.zero_point as number[];
    const g = lsqBackwardPerChannel(c.x, c.dy, c.shape, c.axis, scale, zp, c.quant_min, c.quant_max, gf);
    return { y: lsqForwardPerChannel(c.x, c.shape, c.axis, scale, zp, c.quant_min, c.quant_max), ...g };
  }
  const scale = c.scale as number;
  const zp = c.zero_point as number;
  const g = lsqBackwardPerTensor(c.x, c.dy, scale, zp, c.quant_min, c.quant_max, gf);
  return { y: lsqForwardPerTensor(c.x, scale, zp, c.quant_min, c.quant_max), ...g };
}
