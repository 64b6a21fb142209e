/**
 * The per-batch statistic of Horizon's MSEObserver and PercentileObserver (symmetric), the living
 * definition; the observer state is then the moving average of it (minmax.ts updateMinMax).
 *
 * MSEObserver: for i = 0, stride, 2 stride, ... < 95, the candidate range (min, max) * (1 - i/100) is
 * fake-quantized (symmetric scale, zero point 0) and scored by the squared L2 error; the lowest score
 * wins, the most clipped candidate on ties (Horizon's "last argmin"). Horizon multiplies the winner's
 * list index by 0.01 even when stride > 1; this uses the candidate's own i.
 * PercentileObserver: |x| binned over [0, max|x|]; the clip is the centre of the first bin whose
 * cumulative count reaches percentile * numel.
 */
import { f32 } from './float32';
import { fakeQuantizePerTensor, innerSize, normalizeAxis } from './fake_quantize';
import { aminmax, aminmaxPerChannel, type MinMax } from './minmax';
import { histc } from './histogram';
import type { QParamsConfig } from './qparams';

export const MSE_ITERATIONS = 95;

/** Horizon's _compute_scale_symmetric (no power-of-two rounding). */
export function symmetricScale(lo: number, hi: number, cfg: QParamsConfig): number {
  const absMax = Math.max(Math.max(-lo, hi), 0);
  return Math.max(f32(absMax / f32((cfg.quant_max - cfg.quant_min) / 2)), f32(cfg.eps ?? 1.1920928955078125e-7));
}

/** The candidate factors (1 - i * 0.01) as float32, with their i. */
export function mseCandidates(stride: number): { i: number; factor: number }[] {
  const out = [];
  for (let i = 0; i < MSE_ITERATIONS; i += stride) out.push({ i, factor: f32(1 - i * 0.01) });
  return out;
}

function squaredError(x: ArrayLike<number>, scale: number, qmin: number, qmax: number): number {
  const y = fakeQuantizePerTensor(x, scale, 0, qmin, qmax).y;
  let s = 0;
  for (let k = 0; k < x.length; k++) {
    const d = f32(y[k]! - x[k]!);
    s += d * d;
  }
  return s;
}

/** The squared error of each candidate range (for tests and tables). */
export function mseErrors(x: ArrayLike<number>, lo: number, hi: number, cfg: QParamsConfig, stride: number): number[] {
  return mseCandidates(stride).map(({ factor }) =>
    squaredError(x, symmetricScale(f32(lo * factor), f32(hi * factor), cfg), cfg.quant_min, cfg.quant_max),
  );
}

function bestRange(x: ArrayLike<number>, lo: number, hi: number, cfg: QParamsConfig, stride: number): [number, number] {
  const errors = mseErrors(x, lo, hi, cfg, stride);
  const candidates = mseCandidates(stride);
  let best = 0;
  errors.forEach((e, k) => {
    if (e <= errors[best]!) best = k;
  });
  const factor = candidates[best]!.factor;
  return [f32(lo * factor), f32(hi * factor)];
}

export function mseObserve(x: ArrayLike<number>, shape: readonly number[], axis: number | null, cfg: QParamsConfig, stride: number): MinMax {
  if (axis === null) {
    const [lo, hi] = aminmax(x);
    const [a, b] = bestRange(x, lo, hi, cfg, stride);
    return { min: new Float32Array([a]), max: new Float32Array([b]) };
  }
  const ax = normalizeAxis(axis, shape.length, 'MSEObserver');
  const channels = shape[ax]!;
  const inner = innerSize(shape, ax);
  const { min, max } = aminmaxPerChannel(x, shape, ax);
  const perChannel: number[][] = Array.from({ length: channels }, () => []);
  for (let i = 0; i < x.length; i++) perChannel[Math.floor(i / inner) % channels]!.push(x[i]!);
  for (let c = 0; c < channels; c++) [min[c], max[c]] = bestRange(perChannel[c]!, min[c]!, max[c]!, cfg, stride);
  return { min, max };
}

export function percentileObserve(x: ArrayLike<number>, threshold: number, bins: number): MinMax {
  const [lo, hi] = aminmax(x);
  const range = Math.max(-lo, hi);
  const hist = histc(Array.from(x, Math.abs), bins, 0, range);
  const target = f32(threshold * x.length);
  let acc = 0;
  let i = 0;
  for (; i < bins; i++) {
    acc += hist[i]!;
    if (f32(acc) >= target) break;
  }
  const clip = f32(f32(i + 0.5) * f32(range / bins));
  return { min: new Float32Array([Math.max(lo, -clip)]), max: new Float32Array([Math.min(hi, clip)]) };
}
