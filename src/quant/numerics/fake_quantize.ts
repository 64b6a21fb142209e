/**
 * Fake quantize, the living definition (PyTorch's fake_quantize_per_{tensor,channel}_affine CPU kernels,
 * float32 step by step):
 *   inv_scale = 1.0f / scale
 *   q = zero_point + nearbyint(x * inv_scale)             (float32; not x / scale)
 *   y = (clamp(q, quant_min, quant_max) - zero_point) * scale
 *   mask = quant_min <= q <= quant_max                      (the straight-through gradient passes where set)
 * The clamp is C's fmin(fmax(q, quant_min), quant_max), so a NaN q gives quant_min (and mask 0).
 */
import { f32, nearbyint } from './float32';

export interface FakeQuantizeResult {
  y: Float32Array;
  /** 1 where the gradient passes, 0 where the input was clipped. */
  mask: Uint8Array;
}

function quantizeOne(x: number, scale: number, inv: number, z: number, qmin: number, qmax: number): [number, boolean] {
  const q = f32(z + nearbyint(f32(f32(x) * inv)));
  const clamped = Number.isNaN(q) ? qmin : Math.min(Math.max(q, qmin), qmax);
  return [f32((clamped - z) * scale), qmin <= q && q <= qmax];
}

export function fakeQuantizePerTensor(
  x: ArrayLike<number>,
  scale: number,
  zeroPoint: number,
  quantMin: number,
  quantMax: number,
): FakeQuantizeResult {
  const s = f32(scale);
  const inv = f32(1 / s);
  const n = x.length;
  const y = new Float32Array(n);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const [v, m] = quantizeOne(x[i]!, s, inv, zeroPoint, quantMin, quantMax);
    y[i] = v;
    mask[i] = m ? 1 : 0;
  }
  return { y, mask };
}

/** The size of the dimensions after `axis` (elements between consecutive channels). */
export function innerSize(shape: readonly number[], axis: number): number {
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d]!;
  return inner;
}

export function normalizeAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`${what}: ch_axis ${axis} is out of range for a rank-${rank} tensor`);
  return a;
}

export function fakeQuantizePerChannel(
  x: ArrayLike<number>,
  shape: readonly number[],
  axis: number,
  scale: ArrayLike<number>,
  zeroPoint: ArrayLike<number>,
  quantMin: number,
  quantMax: number,
): FakeQuantizeResult {
  const ax = normalizeAxis(axis, shape.length, 'fake_quantize_per_channel_affine');
  const channels = shape[ax]!;
  if (scale.length !== channels || zeroPoint.length !== channels) {
    throw new Error(
      `fake_quantize_per_channel_affine: ${scale.length} scales / ${zeroPoint.length} zero points for ${channels} channels (axis ${ax} of [${shape.join(', ')}])`,
    );
  }
  const inner = innerSize(shape, ax);
  const n = x.length;
  const y = new Float32Array(n);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / inner) % channels;
    const s = f32(scale[c]!);
    const [v, m] = quantizeOne(x[i]!, s, f32(1 / s), zeroPoint[c]!, quantMin, quantMax);
    y[i] = v;
    mask[i] = m ? 1 : 0;
  }
  return { y, mask };
}

/**
 * The straight-through estimator: dx = dy * mask, a float multiply as PyTorch does it, so a clipped
 * element with a negative dy gives -0.
 */
export function fakeQuantizeBackward(dy: ArrayLike<number>, mask: ArrayLike<number>): Float32Array {
  const dx = new Float32Array(dy.length);
  for (let i = 0; i < dy.length; i++) dx[i] = dy[i]! * (mask[i] ? 1 : 0);
  return dx;
}
