/**
 * Learnable fake quantize (LSQ), the living definition: PyTorch's
 * _fake_quantize_learnable_per_{tensor,channel}_affine and their backward CPU kernels.
 *
 * Forward: the zero point is rounded half to even and clamped, then it is plain fake quantize.
 * Backward, per element (x_q the unclamped integer, x_fq the fake-quantized value):
 *   dx          = dy * (quant_min <= x_q <= quant_max)
 *   dscale      = dy * (x_fq - x) / scale   inside the range,  dy * (quant_min|quant_max - zero_point) outside
 *   dzero_point = 0                         inside the range,  -dy * scale                         outside
 * each times grad_factor, then dscale/dzero_point summed (over all elements, or per channel).
 * PyTorch's kernel is compiled with FMA contraction: x_q = nearbyint(fma(x, inv_scale, zero_point)) and
 * x_fq - x = fma(q - zero_point, scale, -x); that is what reproduces its numbers (see lsq.test.ts).
 */
import { f32, fmaF32, nearbyint } from './float32';
import { fakeQuantizePerChannel, fakeQuantizePerTensor, innerSize, normalizeAxis } from './fake_quantize';

export interface LsqGrads {
  dx: Float32Array;
  dscale: Float32Array;
  dzero_point: Float32Array;
}

/** _get_zero_point_from_tensor(is_forward=true): nearbyint, clamp. */
export function lsqForwardZeroPoint(zeroPoint: number, quantMin: number, quantMax: number): number {
  return Math.min(Math.max(nearbyint(f32(zeroPoint)), quantMin), quantMax);
}

/** _get_zero_point_from_tensor(is_forward=false) of the per-tensor backward: (zp + 0.5f), clamp, truncate. */
export function lsqBackwardZeroPointPerTensor(zeroPoint: number, quantMin: number, quantMax: number): number {
  return Math.trunc(Math.min(Math.max(f32(f32(zeroPoint) + 0.5), quantMin), quantMax));
}

/** grad_factor of _LearnableFakeQuantize: 1 / sqrt(numel * quant_max) with use_grad_scaling, else 1. */
export function lsqGradFactor(numel: number, quantMax: number, useGradScaling: boolean): number {
  return useGradScaling ? 1 / Math.sqrt(numel * quantMax) : 1;
}

export function lsqForwardPerTensor(x: ArrayLike<number>, scale: number, zeroPoint: number, quantMin: number, quantMax: number): Float32Array {
  return fakeQuantizePerTensor(x, scale, lsqForwardZeroPoint(zeroPoint, quantMin, quantMax), quantMin, quantMax).y;
}

export function lsqForwardPerChannel(
  x: ArrayLike<number>,
  shape: readonly number[],
  axis: number,
  scale: ArrayLike<number>,
  zeroPoint: ArrayLike<number>,
  quantMin: number,
  quantMax: number,
): Float32Array {
  const zp = Array.from(zeroPoint, (z) => lsqForwardZeroPoint(z, quantMin, quantMax));
  return fakeQuantizePerChannel(x, shape, axis, scale, zp, quantMin, quantMax).y;
}

interface ElementGrads {
  dx: number;
  dscale: number;
  dzp: number;
}

/** One element of the backward; `zp` is the (integer-valued) zero point, `gf` grad_factor as float32. */
function lsqElement(x: number, dy: number, scale: number, inv: number, zp: number, qmin: number, qmax: number, gf: number): ElementGrads {
  const xq = nearbyint(fmaF32(x, inv, zp));
  const inside = xq >= qmin && xq <= qmax;
  const dx = f32(dy * (inside ? 1 : 0));
  if (!inside) {
    const dzp = f32(f32(f32(dy * -1) * scale) * gf);
    const bound = xq < qmin ? f32(qmin - zp) : f32(qmax - zp);
    return { dx, dscale: f32(f32(dy * bound) * gf), dzp };
  }
  const diff = fmaF32(f32(Math.min(Math.max(xq, qmin), qmax) - zp), scale, -x);
  return { dx, dscale: f32(f32(f32(dy * diff) * inv) * gf), dzp: 0 };
}

/**
 * _fake_quantize_learnable_per_tensor_affine_backward. The two sums are taken in float64 and rounded
 * once; PyTorch sums float32 in its own order, so they agree to about 1e-6 relative.
 */
export function lsqBackwardPerTensor(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  scale: number,
  zeroPoint: number,
  quantMin: number,
  quantMax: number,
  gradFactor: number,
): LsqGrads {
  if (x.length !== dy.length) throw new Error(`LSQ backward: x has ${x.length} values, dy ${dy.length}`);
  const s = f32(scale);
  const inv = f32(1 / s);
  const zp = lsqBackwardZeroPointPerTensor(zeroPoint, quantMin, quantMax);
  const gf = f32(gradFactor);
  const dx = new Float32Array(x.length);
  let dscale = 0;
  let dzp = 0;
  for (let i = 0; i < x.length; i++) {
    const g = lsqElement(f32(x[i]!), f32(dy[i]!), s, inv, zp, quantMin, quantMax, gf);
    dx[i] = g.dx;
    dscale += g.dscale;
    dzp += g.dzp;
  }
  return { dx, dscale: new Float32Array([dscale]), dzero_point: new Float32Array([dzp]) };
}

/**
 * _fake_quantize_learnable_per_channel_affine_backward: the zero point is rounded (half to even) and
 * clamped, and the per-channel kernel reads it as a float.
 */
export function lsqBackwardPerChannel(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  shape: readonly number[],
  axis: number,
  scale: ArrayLike<number>,
  zeroPoint: ArrayLike<number>,
  quantMin: number,
  quantMax: number,
  gradFactor: number,
): LsqGrads {
  const ax = normalizeAxis(axis, shape.length, 'LSQ per-channel backward');
  const channels = shape[ax]!;
  if (scale.length !== channels || zeroPoint.length !== channels) {
    throw new Error(`LSQ per-channel backward: ${scale.length} scales / ${zeroPoint.length} zero points for ${channels} channels`);
  }
  const inner = innerSize(shape, ax);
  const gf = f32(gradFactor);
  const dx = new Float32Array(x.length);
  const dscale = new Float64Array(channels);
  const dzp = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / inner) % channels;
    const s = f32(scale[c]!);
    const zp = lsqForwardZeroPoint(zeroPoint[c]!, quantMin, quantMax);
    const g = lsqElement(f32(x[i]!), f32(dy[i]!), s, f32(1 / s), zp, quantMin, quantMax, gf);
    dx[i] = g.dx;
    dscale[c] = dscale[c]! + g.dscale;
    dzp[c] = dzp[c]! + g.dzp;
  }
  return { dx, dscale: Float32Array.from(dscale), dzero_point: Float32Array.from(dzp) };
}
