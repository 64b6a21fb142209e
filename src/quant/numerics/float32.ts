/**
 * Float32 arithmetic as PyTorch's CPU kernels do it. Every `+ - * /` of two float32 values done in
 * float64 and rounded once with Math.fround equals the float32 operation (the double rounding is
 * innocuous for these operations since 53 >= 2 * 24 + 2), so `f32(a * b)` is exactly C's `a * b` on floats.
 */
export const f32 = Math.fround;

/** std::nearbyint in the default rounding mode: round half to even. */
export function nearbyint(x: number): number {
  const r = Math.round(x);
  // Math.round sends halves up; a half that went to an odd integer belongs to the even one below.
  if (r - x === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/** torch.finfo(torch.float32).eps */
export const FLOAT32_EPS = 1.1920928955078125e-7;

/** Sum of float32 values accumulated in float64, rounded once (what a careful float32 reduction approaches). */
export function sumF32(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return f32(s);
}

/** Bits of a float32, for bit-exact comparisons (NaN payloads and -0 included). */
export function f32Bits(x: number): number {
  const buf = new Float32Array([x]);
  return new Uint32Array(buf.buffer)[0]!;
}

const f32buf = new Float32Array(1);
const u32view = new Uint32Array(f32buf.buffer);

/** The float32 next to `x` towards +inf (`up`) or -inf. */
export function nextF32(x: number, up: boolean): number {
  if (x === 0) return up ? 1.401298464324817e-45 : -1.401298464324817e-45;
  f32buf[0] = x;
  const away = x > 0 === up;
  u32view[0] = u32view[0]! + (away ? 1 : -1);
  return f32buf[0]!;
}

/**
 * fmaf: a * b + c on float32 values with one rounding. PyTorch's CPU kernels are compiled with FMA
 * contraction, so a few of its expressions (LSQ's backward) round once where the source reads twice.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b; // exact: two 24-bit significands fit in 53 bits
  const s = p + c;
  // TwoSum: s + t equals p + c exactly.
  const bb = s - p;
  const t = p - (s - bb) + (c - bb);
  const r = f32(s);
  if (t === 0 || r === s) return r;
  // s was already rounded; only a float32 midpoint can round the wrong way, and t says which side is right.
  const other = r > s ? nextF32(r, false) : nextF32(r, true);
  if (Math.abs(s - r) !== Math.abs(s - other)) return r;
  const upper = Math.max(r, other);
  const lower = Math.min(r, other);
  return t > 0 ? upper : lower;
}
