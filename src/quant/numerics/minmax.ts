/**
 * Min/max statistics of the MinMax family of observers (torch.ao.quantization), the living definition.
 * Observer state is (min_val, max_val) per channel; an unobserved per-tensor state is (+inf, -inf).
 */
import { f32 } from './float32';
import { innerSize, normalizeAxis } from './fake_quantize';

export interface MinMax {
  min: Float32Array;
  max: Float32Array;
}

export function aminmax(x: ArrayLike<number>): [number, number] {
  if (x.length === 0) throw new Error('aminmax: empty tensor');
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [f32(lo), f32(hi)];
}

/** Per-channel aminmax along `axis` (the observer's `ch_axis`). */
export function aminmaxPerChannel(x: ArrayLike<number>, shape: readonly number[], axis: number): MinMax {
  const ax = normalizeAxis(axis, shape.length, 'per-channel observer');
  const channels = shape[ax]!;
  const inner = innerSize(shape, ax);
  const min = new Float32Array(channels).fill(Infinity);
  const max = new Float32Array(channels).fill(-Infinity);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / inner) % channels;
    const v = x[i]!;
    if (v < min[c]!) min[c] = v;
    if (v > max[c]!) max[c] = v;
  }
  return { min, max };
}

/** `old + c * (cur - old)`, three float32 operations (separate tensor ops in PyTorch, never fused). */
export function movingAverage(old: number, cur: number, averagingConstant: number): number {
  return f32(old + f32(f32(averagingConstant) * f32(cur - old)));
}

/**
 * One observer step over per-channel statistics. `averagingConstant` null is MinMaxObserver (running
 * min/max); a number is the moving average, where the first batch (state still at +inf/-inf or empty)
 * sets the state.
 */
export function updateMinMax(state: MinMax | null, cur: MinMax, averagingConstant: number | null): MinMax {
  const fresh =
    state === null ||
    state.min.length === 0 ||
    (state.min.length === 1 && state.min[0] === Infinity && state.max[0] === -Infinity);
  if (fresh) return { min: Float32Array.from(cur.min), max: Float32Array.from(cur.max) };
  if (state.min.length !== cur.min.length) {
    throw new Error(`observer: the state has ${state.min.length} channels, the batch ${cur.min.length}`);
  }
  const n = cur.min.length;
  const min = new Float32Array(n);
  const max = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    if (averagingConstant === null) {
      min[c] = Math.min(state.min[c]!, cur.min[c]!);
      max[c] = Math.max(state.max[c]!, cur.max[c]!);
    } else {
      min[c] = movingAverage(state.min[c]!, cur.min[c]!, averagingConstant);
      max[c] = movingAverage(state.max[c]!, cur.max[c]!, averagingConstant);
    }
  }
  return { min, max };
}
