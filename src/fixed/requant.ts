/**
 * Requantization: turning an int32 accumulator at scale `s_x·s_w` into an int8/int16 output at scale
 * `s_y`. Two modes, both per output channel:
 *
 * - `multiplier` (what a chip does, gemmlowp/TFLite arithmetic): `M = s_x·s_w/s_y ≈ m·2^(shift−31)` with
 *   `m` a 31-bit integer in [2^30, 2^31); `SaturatingRoundingDoublingHighMul(acc·2^max(shift,0), m)` then
 *   `RoundingDivideByPOT(·, max(−shift,0))` (round half away from zero).
 * - `float` (PyTorch's qnnpack and ONNX Runtime): `round_half_even(f32(f32(acc) · M_f32))`, where `M_f32`
 *   is computed in float32 exactly as qnnpack's `generate_requantization_scales` does.
 *
 * Either way the output zero point is added after rounding and the result clamped to the output range
 * (a fused ReLU is the clamp at the zero point). The WGSL in shaders/requant_lib.wgsl implements the
 * same functions bit for bit; these are the living definition.
 */

export type RequantMode = 'multiplier' | 'float';

export const REQUANT_MODES: readonly RequantMode[] = ['multiplier', 'float'];

/** Per-channel requantization constants for both modes (the executor picks one by the model's mode). */
export interface RequantParams {
  /** Float mode: the float32 multiplier per channel (a float32-representable number). */
  scale: number[];
  /** Multiplier mode: the 31-bit integer multiplier per channel. */
  multiplier: number[];
  /** Multiplier mode: the power-of-two exponent per channel (M ≈ multiplier·2^(shift−31)). */
  shift: number[];
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const TWO_31 = 2147483648;

/** std::round: half away from zero. */
function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** std::nearbyint in the default rounding mode: half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (r - x === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/** frexp: x = q·2^e with q in [0.5, 1) (x > 0). */
function frexp(x: number): [q: number, e: number] {
  let e = Math.ceil(Math.log2(x));
  let q = x / 2 ** e;
  // log2 can be off by one ulp at powers of two; fix the normalization exactly.
  while (q >= 1) {
    q /= 2;
    e++;
  }
  while (q < 0.5) {
    q *= 2;
    e--;
  }
  return [q, e | 0];
}

/**
 * TFLite's QuantizeMultiplier: a positive real multiplier as a 31-bit integer and an exponent, so that
 * M ≈ multiplier · 2^(shift − 31). A multiplier of 0 (or one too small to represent) gives (0, 0).
 */
export function quantizeMultiplier(realMultiplier: number): { multiplier: number; shift: number } {
  if (!(realMultiplier >= 0) || !Number.isFinite(realMultiplier)) {
    throw new Error(`quantizeMultiplier: multiplier must be a finite number >= 0, got ${realMultiplier}`);
  }
  if (realMultiplier === 0) return { multiplier: 0, shift: 0 };
  const [q, e] = frexp(realMultiplier);
  let shift = e;
  let qFixed = roundHalfAwayFromZero(q * TWO_31);
  if (qFixed === TWO_31) {
    qFixed /= 2;
    shift++;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  if (shift > 30) {
    throw new Error(`quantizeMultiplier: multiplier ${realMultiplier} is too large (shift ${shift} > 30)`);
  }
  return { multiplier: qFixed, shift };
}

/**
 * gemmlowp's SaturatingRoundingDoublingHighMul: the high 32 bits of 2·a·b, rounded (the 64-bit sum with
 * its nudge is divided by 2^31 truncating toward zero, as C++ integer division does).
 * Exact in doubles: b is split into 16-bit halves so no partial product exceeds 2^48.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const bHi = b >> 16;
  const bLo = b & 0xffff;
  const hi = a * bHi; // |hi| < 2^46
  const lo = a * bLo; // |lo| < 2^47
  // a·b = hi·2^16 + lo; the nudge makes the truncating division round half away from zero.
  const negative = hi * 65536 + lo < 0; // the sign is exact even where the sum is not
  const nudge = negative ? 1 - (1 << 30) : 1 << 30;
  const l = lo + nudge;
  const lq = Math.floor(l / 65536);
  const lr = l - lq * 65536;
  const top = hi + lq; // a·b + nudge = top·2^16 + lr, 0 <= lr < 2^16
  let q = Math.floor(top / 32768); // floor((a·b + nudge) / 2^31)
  const exact = lr === 0 && top - q * 32768 === 0;
  if (top < 0 && !exact) q += 1; // truncation toward zero
  return q | 0;
}

/** gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded half away from zero (0 <= exponent <= 31). */
export function roundingDivideByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  const mask = exponent >= 31 ? 0x7fffffff : (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** acc · M in multiplier mode (TFLite's MultiplyByQuantizedMultiplier, with a saturating left shift). */
export function multiplyByQuantizedMultiplier(acc: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  let x = acc | 0;
  if (left > 0) {
    const limit = 2 ** (31 - left);
    x = x >= limit ? INT32_MAX : x < -limit ? INT32_MIN : x << left;
  }
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, multiplier), right);
}

/** float32(int32): round to nearest even, as the hardware conversion does. */
export function int32ToFloat32(acc: number): number {
  return Math.fround(acc);
}

/**
 * acc · M in float mode (qnnpack's fp32 requantization): round_half_even(f32(f32(acc)·M)), where M is a
 * float32. The result is clamped to the int32 range (the caller clamps to the output range).
 */
export function multiplyByFloatScale(acc: number, scale: number): number {
  const product = Math.fround(int32ToFloat32(acc) * scale);
  const r = roundHalfEven(product);
  return r > INT32_MAX ? INT32_MAX : r < INT32_MIN ? INT32_MIN : r;
}

/** acc (int32, zero points already subtracted) → output value before the zero point and clamp. */
export function scaleAccumulator(acc: number, params: RequantParams, channel: number, mode: RequantMode): number {
  if (mode === 'float') return multiplyByFloatScale(acc, params.scale[channel]);
  return multiplyByQuantizedMultiplier(acc, params.multiplier[channel], params.shift[channel]);
}

const TERM_LIMIT = 1 << 29;

/**
 * Bounds a scaled term to ±2^29 before terms are summed with a zero point (fused add, int add), so the
 * int32 sum on the GPU cannot overflow; any output range is far inside, so only results that clamp
 * anyway are affected.
 */
export function saturateTerm(x: number): number {
  return x > TERM_LIMIT ? TERM_LIMIT : x < -TERM_LIMIT ? -TERM_LIMIT : x;
}

/** The whole requantization of one accumulator: scale, add the output zero point, clamp. */
export function requantize(
  acc: number,
  params: RequantParams,
  channel: number,
  mode: RequantMode,
  zeroPoint: number,
  clampMin: number,
  clampMax: number,
): number {
  const y = zeroPoint + saturateTerm(scaleAccumulator(acc, params, channel, mode));
  return y < clampMin ? clampMin : y > clampMax ? clampMax : y;
}

/**
 * qnnpack's requantization scale (generate_requantization_scales): in float32,
 * (w_scale · x_scale) · (1 / y_scale), each scale first rounded to float32.
 */
export function qnnpackRequantScale(weightScale: number, inputScale: number, outputScale: number): number {
  const f = Math.fround;
  const inverseOutputScale = f(1 / f(outputScale));
  return f(f(f(weightScale) * f(inputScale)) * inverseOutputScale);
}

/**
 * Both modes' constants for per-channel multipliers `M_c = s_x · s_w[c] / s_y` (one weight scale per
 * output channel; a per-tensor weight scale is a list of one repeated by the caller).
 */
export function makeRequantParams(inputScale: number, weightScales: readonly number[], outputScale: number): RequantParams {
  const scale: number[] = [];
  const multiplier: number[] = [];
  const shift: number[] = [];
  for (const ws of weightScales) {
    scale.push(qnnpackRequantScale(ws, inputScale, outputScale));
    const q = quantizeMultiplier((inputScale * ws) / outputScale);
    multiplier.push(q.multiplier);
    shift.push(q.shift);
  }
  return { scale, multiplier, shift };
}

/** Requantization constants for a plain rescale by `M` (add inputs, pooling, dtype changes). */
export function makeRescaleParams(realMultipliers: readonly number[]): RequantParams {
  return {
    scale: realMultipliers.map((m) => Math.fround(m)),
    multiplier: realMultipliers.map((m) => quantizeMultiplier(m).multiplier),
    shift: realMultipliers.map((m) => quantizeMultiplier(m).shift),
  };
}

/**
 * The bias as PyTorch quantizes it for qnnpack (QuantizeBias → quantize_per_tensor/per_channel to
 * qint32): scale = (double) w_scale · x_scale, then quantize_val: round_half_even(f32(b) · f32(1 / f32(scale))),
 * clamped to int32.
 */
export function quantizeBias(bias: readonly number[], inputScale: number, weightScales: readonly number[]): Int32Array {
  if (weightScales.length !== 1 && weightScales.length !== bias.length) {
    throw new Error(`quantizeBias: ${weightScales.length} weight scales for ${bias.length} bias values`);
  }
  const f = Math.fround;
  const out = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const scale = weightScales.length === 1 ? weightScales[0] * inputScale : weightScales[c] * inputScale;
    const inverseScale = f(1 / f(scale));
    const q = roundHalfEven(f(f(bias[c]) * inverseScale));
    out[c] = q > INT32_MAX ? INT32_MAX : q < INT32_MIN ? INT32_MIN : q;
  }
  return out;
}
