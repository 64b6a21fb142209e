/**
 * HistogramObserver as torch 1.13 runs it (torch.ao.quantization.observer), the living definition:
 * torch.histc over [int(min), int(max)] (PyTorch truncates the range to integers there), histograms
 * of later batches merged by upsampling (upsample_rate) onto a common grid, and calculate_qparams by
 * _non_linear_param_search (an L2 quantization-error search over the histogram's bins). Float32 tensor
 * arithmetic is followed op by op; Python floats stay float64.
 */
import { f32, nearbyint } from './float32';
import { aminmax } from './minmax';

export interface HistogramState {
  histogram: Float32Array;
  min_val: number;
  max_val: number;
}

export interface HistogramOptions {
  bins: number;
  upsample_rate: number;
  /** torch 1.13 calls histc with min=int(min_val), max=int(max_val); later versions pass the floats. */
  truncate_range: boolean;
}

export function emptyHistogram(bins: number): HistogramState {
  return { histogram: new Float32Array(bins), min_val: Infinity, max_val: -Infinity };
}

/**
 * The histc range after PyTorch's adjustments (histc_select_outer_bin_edges): equal ends take the data's
 * min/max, still-equal ends widen by 1.
 */
export function histcRange(x: ArrayLike<number>, min: number, max: number): [number, number] {
  let lo = min;
  let hi = max;
  if (lo === hi && x.length > 0) [lo, hi] = aminmax(x);
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new Error(`torch.histc: range of [${lo}, ${hi}] is not finite`);
  if (!(lo < hi)) throw new Error('torch.histc: max must be larger than min');
  return [f32(lo), f32(hi)];
}

/** The bin of one element, or -1 when outside [left, right] (torch.histc's linear interpolation, float32). */
export function histcBin(v: number, left: number, right: number, bins: number): number {
  if (!(v >= left && v <= right)) return -1;
  let pos = Math.trunc(f32(f32(f32(v - left) * bins) / f32(right - left)));
  if (pos === bins) pos -= 1;
  return pos;
}

/** torch.histc(x, bins, min, max) on the CPU. */
export function histc(x: ArrayLike<number>, bins: number, min: number, max: number): Float32Array {
  const [left, right] = histcRange(x, min, max);
  const hist = new Float32Array(bins);
  for (let i = 0; i < x.length; i++) {
    const b = histcBin(f32(x[i]!), left, right, bins);
    if (b >= 0) hist[b] = hist[b]! + 1;
  }
  return hist;
}

const rangeEnd = (v: number, truncate: boolean): number => (truncate ? Math.trunc(v) : v);

/** HistogramObserver._adjust_min_max (1.13). */
export function adjustMinMax(
  state: HistogramState,
  combinedMin: number,
  combinedMax: number,
  bins: number,
  upsampleRate: number,
): { combined_min: number; combined_max: number; downsample_rate: number; start_idx: number } {
  const histBinWidth = f32(f32(state.max_val - state.min_val) / f32(bins * upsampleRate));
  const width = f32(bins * histBinWidth);
  const downsampleRate = Math.ceil(f32(f32(combinedMax - combinedMin) / width));
  const e = f32(f32(downsampleRate * width) - f32(combinedMax - combinedMin));
  const startIdx = nearbyint(f32(f32(state.min_val - combinedMin) / histBinWidth));
  return { combined_min: combinedMin, combined_max: f32(combinedMax + e), downsample_rate: downsampleRate, start_idx: startIdx };
}

/**
 * HistogramObserver._combine_histograms: the old histogram upsampled by `upsample_rate` into a grid of
 * bins * downsample_rate cells starting at `start_idx`, integrated in float64, sampled every
 * downsample_rate cells, differenced (the left neighbour stored as float32, as PyTorch's zeros() buffer
 * does) and divided by upsample_rate, added to the new batch's histogram.
 */
export function combineHistograms(
  newHist: Float32Array,
  oldHist: Float32Array,
  upsampleRate: number,
  downsampleRate: number,
  startIdx: number,
  bins: number,
): Float32Array {
  const u = upsampleRate;
  const total = bins * downsampleRate;
  const prefix = new Float64Array(bins + 1);
  for (let i = 0; i < bins; i++) prefix[i + 1] = prefix[i]! + u * oldHist[i]!;
  // Integral of the upsampled histogram over fine cells [0, k].
  const integral = (k: number): number => {
    const m = Math.min(Math.max(k - startIdx + 1, 0), bins * u, total - startIdx);
    if (m <= 0) return 0;
    const full = Math.floor(m / u);
    const rem = m - full * u;
    return prefix[full]! + (full < bins ? rem * oldHist[full]! : 0);
  };
  const out = new Float32Array(bins);
  let previous = 0;
  for (let j = 0; j < bins; j++) {
    const here = integral((j + 1) * downsampleRate - 1);
    out[j] = f32(newHist[j]! + f32((here - f32(previous)) / u));
    previous = here;
  }
  return out;
}

/** HistogramObserver.forward (1.13) on one batch. */
export function histogramObserve(state: HistogramState, x: ArrayLike<number>, options: HistogramOptions): HistogramState {
  if (x.length === 0) return state;
  const { bins, upsample_rate: u, truncate_range: trunc } = options;
  const [xMin, xMax] = aminmax(x);
  const uninitialized = state.min_val === Infinity && state.max_val === -Infinity;
  if (uninitialized || state.min_val === state.max_val) {
    return { histogram: histc(x, bins, rangeEnd(xMin, trunc), rangeEnd(xMax, trunc)), min_val: xMin, max_val: xMax };
  }
  const adjusted = adjustMinMax(state, Math.min(xMin, state.min_val), Math.max(xMax, state.max_val), bins, u);
  const { combined_min: cmin, combined_max: cmax } = adjusted;
  if (bins * adjusted.downsample_rate * 4 > 1e9) {
    // Too large to merge (PyTorch 1.13 would run out of memory; later versions restart on the batch).
    return { histogram: histc(x, bins, rangeEnd(xMin, trunc), rangeEnd(xMax, trunc)), min_val: xMin, max_val: xMax };
  }
  let hist = histc(x, bins, rangeEnd(cmin, trunc), rangeEnd(cmax, trunc));
  if (cmin === state.min_val && cmax === state.max_val) {
    for (let i = 0; i < bins; i++) hist[i] = f32(hist[i]! + state.histogram[i]!);
  } else {
    hist = combineHistograms(hist, state.histogram, u, adjusted.downsample_rate, adjusted.start_idx, bins);
  }
  return { histogram: hist, min_val: cmin, max_val: cmax };
}

/** c10::div_floor_floating in float32 (torch.div(..., rounding_mode='floor')). */
export function divFloorF32(a: number, b: number): number {
  const mod = a % b;
  let div = f32((a - mod) / b);
  if (mod !== 0 && b < 0 !== mod < 0) div = f32(div - 1);
  if (div === 0) return Object.is(a / b, -0) || a / b < 0 ? -0 : 0;
  let floordiv = Math.floor(div);
  if (div - floordiv > 0.5) floordiv += 1;
  return floordiv;
}

const cube = (v: number): number => f32(f32(v * v) * v);
const norm3 = (begin: number, end: number, density: number): number => f32(f32(f32(cube(end) - cube(begin)) / 3) * density);

/** HistogramObserver._compute_quantization_error: the L2 error of quantizing bins [start, end] to dst_nbins levels. */
export function quantizationError(state: HistogramState, startBin: number, endBin: number, dstNbins: number): number {
  const bins = state.histogram.length;
  const binWidth = (state.max_val - state.min_val) / bins;
  const dstBinWidth = (binWidth * (endBin - startBin + 1)) / dstNbins;
  if (dstBinWidth === 0) return 0;
  const bw = f32(binWidth);
  const dbw = f32(dstBinWidth);
  const half = f32(dstBinWidth / 2);
  const negHalf = f32(-dstBinWidth / 2);
  let sum = 0;
  for (let i = 0; i < bins; i++) {
    const srcBegin = f32(f32(i - startBin) * bw);
    const srcEnd = f32(srcBegin + bw);
    const dstBegin = Math.min(Math.max(divFloorF32(srcBegin, dbw), 0), dstNbins - 1);
    const dstBeginCenter = f32(f32(dstBegin + 0.5) * dbw);
    const dstEnd = Math.min(Math.max(divFloorF32(srcEnd, dbw), 0), dstNbins - 1);
    const density = f32(state.histogram[i]! / bw);
    let norm = norm3(f32(srcBegin - dstBeginCenter), half, density);
    norm = f32(norm + f32(f32(dstEnd - dstBegin - 1) * norm3(negHalf, half, density)));
    const dstEndCenter = f32(f32(dstEnd * dbw) + half);
    norm = f32(norm + norm3(negHalf, f32(srcEnd - dstEndCenter), density));
    sum += norm;
  }
  return f32(sum);
}

/** HistogramObserver._non_linear_param_search: the clipped [min, max] to quantize with. */
export function nonLinearParamSearch(state: HistogramState, dstNbins: number): [number, number] {
  const hist = state.histogram;
  const bins = hist.length;
  const binWidth = f32(f32(state.max_val - state.min_val) / bins);
  let totalAcc = 0;
  const cSum = new Float32Array(bins);
  for (let i = 0; i < bins; i++) {
    totalAcc += hist[i]!;
    cSum[i] = totalAcc;
  }
  const total = f32(totalAcc);
  const stepsize = 1e-5;
  let alpha = 0;
  let beta = 1;
  let startBin = 0;
  let endBin = bins - 1;
  let normMin = Infinity;
  while (alpha < beta) {
    const nextAlpha = alpha + stepsize;
    const nextBeta = beta - stepsize;
    // A 0-dim float32 tensor compared with a Python float compares in float32.
    const lowBound = f32(nextAlpha * total);
    const highBound = f32(nextBeta * total);
    let l = startBin;
    let r = endBin;
    while (l < endBin && cSum[l]! < lowBound) l++;
    while (r > startBin && cSum[r]! > highBound) r--;
    let nextStart = startBin;
    let nextEnd = endBin;
    if (l - startBin > endBin - r) {
      nextStart = l;
      alpha = nextAlpha;
    } else {
      nextEnd = r;
      beta = nextBeta;
    }
    if (nextStart === startBin && nextEnd === endBin) continue;
    const norm = quantizationError(state, nextStart, nextEnd, dstNbins);
    if (norm > normMin) break;
    normMin = norm;
    startBin = nextStart;
    endBin = nextEnd;
  }
  return [f32(state.min_val + f32(binWidth * startBin)), f32(state.min_val + f32(binWidth * (endBin + 1)))];
}
