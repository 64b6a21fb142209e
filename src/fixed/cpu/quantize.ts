/**
 * CPU references of the model-boundary conversions (NCHW).
 * quantize:   q = clamp(round_half_even(f32(x · f32(1/s))) + z, lo, hi)   (PyTorch's quantize_per_tensor)
 * dequantize: y = f32(f32(q − z) · f32(s_c))
 */
import type { DequantizeOpSpec, QuantizeOpSpec } from '../ops';
import { roundHalfEven } from '../requant';
import { clampTo } from '../types';

export function quantizeCpu(spec: QuantizeOpSpec, x: ArrayLike<number>): Int32Array {
  const f = Math.fround;
  const inverseScale = f(1 / f(spec.scale));
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    // Clamp before adding the zero point, in float, so huge inputs cannot overflow (same result).
    const r = roundHalfEven(f(f(x[i]) * inverseScale));
    out[i] = clampTo(clampTo(r, spec.clamp[0] - spec.zeroPoint, spec.clamp[1] - spec.zeroPoint) + spec.zeroPoint, spec.clamp[0], spec.clamp[1]);
  }
  return out;
}

export function dequantizeCpu(spec: DequantizeOpSpec, q: ArrayLike<number>): Float32Array {
  const f = Math.fround;
  const [, c, h, w] = spec.shape;
  const inner = h * w;
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const ch = spec.scale.length === 1 ? 0 : Math.floor(i / inner) % c;
    out[i] = f(f(q[i] - spec.zeroPoint) * f(spec.scale[ch]));
  }
  return out;
}
