/**
 * Kernel-level specs of the integer ops: everything a kernel needs but the input data. The CPU
 * references (cpu/) and the WGSL kernels (gpu/) take the same specs, and the executor builds them from
 * an IntegerModel (model.ts). All integers are in the storage domain (see types.ts).
 */
import type { RequantMode, RequantParams } from './requant';
import type { Conv2dGeometry, IntDType, Pair } from './types';

/** Which dtype an activation may have (int32 only as a conv/linear high-precision output). */
export type ActDType = 'int8' | 'int16';

/**
 * A second input: for a plain add, each input rescaled to the output scale (M = s_r / s_y, one channel);
 * for conv + add fusion, the residual rescaled into the accumulator's scale (M_c = s_r / (s_x·s_w[c]),
 * per output channel or one) and added to the accumulator before the one requantization.
 */
export interface ResidualSpec {
  dtype: IntDType;
  zeroPoint: number;
  requant: RequantParams;
}

/**
 * Integer conv2d (a linear layer is a 1×1 conv on a 1×1 image):
 *   acc = bias + Σ (x − z_x)(w − z_w) [+ scale_r,c(r − z_r)]   (int32, wrapping; the fused residual
 *                                                              rescaled to the accumulator's scale)
 *   y   = clamp(z_y + scale_c(acc), lo, hi)   or   y = acc (outDtype int32)
 */
export interface Conv2dOpSpec {
  mode: RequantMode;
  /** [N, C, H, W] */
  xShape: readonly [number, number, number, number];
  xZeroPoint: number;
  /** Defaults to int8. */
  xDtype?: ActDType;
  weight: Int8Array | Int16Array;
  /** [O, C/groups, KH, KW] */
  wShape: readonly [number, number, number, number];
  wDtype: 'int8' | 'int16';
  /** One per output channel, or one for all. */
  wZeroPoint: readonly number[];
  bias: Int32Array | null;
  geometry: Conv2dGeometry;
  /** Null for a high-precision int32 output (no requantization). */
  requant: RequantParams | null;
  outDtype: IntDType;
  yZeroPoint: number;
  clamp: Pair;
  residual?: ResidualSpec;
}

/**
 * Integer add of two tensors of the same shape, each rescaled to the output scale and rounded once:
 *   float mode:       y = clamp(z_y + round_half_even(f32(f32(a'·M_a) + f32(b'·M_b))), lo, hi)
 *   multiplier mode:  y = clamp(z_y + RoundingDivideByPOT(scale(a', M_a·2^k) + scale(b', M_b·2^k), k), lo, hi)
 * with a' = a − z_a, b' = b − z_b and k = `precisionShift` (the requant constants already hold M·2^k).
 */
export interface AddOpSpec {
  mode: RequantMode;
  /** Multiplier mode: bits of extra precision of the scaled terms before the one rounding (0: none). */
  precisionShift?: number;
  /** [N, C, H, W] (or [N, C, 1, 1]) */
  shape: readonly [number, number, number, number];
  a: ResidualSpec;
  b: ResidualSpec;
  outDtype: ActDType;
  yZeroPoint: number;
  clamp: Pair;
}

export interface Pool2dGeometry {
  kernel: Pair;
  stride: Pair;
  padding: Pair;
  ceilMode: boolean;
}

export interface MaxPool2dOpSpec extends Pool2dGeometry {
  xShape: readonly [number, number, number, number];
  dtype: ActDType;
  dilation: Pair;
}

/**
 * Average pooling in the integer domain: acc = Σ_window (x − z_x), then y = clamp(z_y + scale(acc)) with
 * M = s_x / (s_y · divisor). `requant` is a table indexed by the divisor (entry 0 unused), so windows cut
 * by the border (count_include_pad=false, ceil_mode) use their own exact multiplier.
 */
export interface AvgPool2dOpSpec extends Pool2dGeometry {
  mode: RequantMode;
  xShape: readonly [number, number, number, number];
  xDtype: ActDType;
  xZeroPoint: number;
  countIncludePad: boolean;
  divisorOverride: number | null;
  requant: RequantParams;
  outDtype: ActDType;
  yZeroPoint: number;
  clamp: Pair;
}

/**
 * Concatenation along channels of tensors that share dtype, scale and zero point (conversion rescales
 * the inputs first): a copy, no arithmetic.
 */
export interface ConcatOpSpec {
  /** Each input's [N, C_k, H, W] (N, H, W equal). */
  shapes: readonly (readonly [number, number, number, number])[];
  dtype: ActDType;
  /** The zero point (padding lanes on the device). */
  zeroPoint: number;
}

/** Requantize a tensor (int8/int16/int32 → int8/int16), per channel. */
export interface RequantizeOpSpec {
  mode: RequantMode;
  shape: readonly [number, number, number, number];
  xDtype: IntDType;
  xZeroPoint: number;
  requant: RequantParams;
  outDtype: ActDType;
  yZeroPoint: number;
  clamp: Pair;
}

/** Float → int at the model's input: q = clamp(round_half_even(x · f32(1/s)) + z, lo, hi). */
export interface QuantizeOpSpec {
  shape: readonly [number, number, number, number];
  scale: number;
  zeroPoint: number;
  outDtype: ActDType;
  clamp: Pair;
}

/** Int → float at the model's output: y = f32(q − z) · f32(s_c), per tensor or per channel. */
export interface DequantizeOpSpec {
  shape: readonly [number, number, number, number];
  xDtype: IntDType;
  zeroPoint: number;
  scale: readonly number[];
}

export function poolOutputSize(inSize: number, kernel: number, stride: number, padding: number, dilation: number, ceilMode: boolean): number {
  // PyTorch's pooling_output_shape: with ceil_mode the last window must start inside the input or left padding.
  const span = inSize + 2 * padding - dilation * (kernel - 1) - 1;
  let out = Math.floor((span + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  if (ceilMode && (out - 1) * stride >= inSize + padding) out--;
  return out;
}
