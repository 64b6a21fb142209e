// Float32 helpers shared by the fake-quant and observer kernels (prepended to them).
//
// cr_div: a / b correctly rounded (round to nearest even) for normal operands, by integer long division:
// WGSL only promises 2.5 ULP for `/`, and PyTorch's qparams and 1/scale are exact float32 divisions.
// Zero, subnormal, infinite or NaN operands, and results out of the normal range, fall back to `a / b`.
fn cr_div(a: f32, b: f32) -> f32 {
  let ua = bitcast<u32>(a);
  let ub = bitcast<u32>(b);
  let ea = (ua >> 23u) & 0xffu;
  let eb = (ub >> 23u) & 0xffu;
  if (ea == 0u || eb == 0u || ea == 255u || eb == 255u) {
    return a / b;
  }
  var ma = (ua & 0x7fffffu) | 0x800000u;
  let mb = (ub & 0x7fffffu) | 0x800000u;
  var e = i32(ea) - i32(eb) + 127;
  if (ma < mb) {
    ma = ma << 1u;
    e = e - 1;
  }
  var q = 0u;
  var r = ma;
  for (var i = 0u; i < 24u; i = i + 1u) {
    q = q << 1u;
    if (r >= mb) {
      r = r - mb;
      q = q | 1u;
    }
    r = r << 1u;
  }
  // r is now twice the remainder: compare it with the divisor for the rounding bit.
  if (r > mb || (r == mb && (q & 1u) == 1u)) {
    q = q + 1u;
    if (q == 0x1000000u) {
      q = 0x800000u;
      e = e + 1;
    }
  }
  if (e <= 0 || e >= 255) {
    return a / b;
  }
  return bitcast<f32>(((ua ^ ub) & 0x80000000u) | (u32(e) << 23u) | (q & 0x7fffffu));
}

// An observer state nobody has written yet: min = +inf, max = -inf (compared as bits: WGSL has no inf
// constants).
fn is_unobserved(lo: f32, hi: f32) -> bool {
  return bitcast<u32>(lo) == 0x7f800000u && bitcast<u32>(hi) == 0xff800000u;
}

// ---- exact fused multiply-add ------------------------------------------------------------------------
// WGSL's fma() may be computed unfused (it is on SwiftShader), but PyTorch's LSQ kernel is compiled with
// FMA contraction. exact_fma(a, b, c) = a * b + c rounded once (to nearest even), in 64-bit integer
// arithmetic on vec2<u32> (x = low word, y = high word). Zero, subnormal, infinite and NaN operands, and
// results outside the normal range, fall back to a * b + c.

fn u64_shl(v: vec2<u32>, n: u32) -> vec2<u32> {
  if (n == 0u) {
    return v;
  }
  if (n >= 64u) {
    return vec2<u32>(0u, 0u);
  }
  if (n >= 32u) {
    return vec2<u32>(0u, v.x << (n - 32u));
  }
  return vec2<u32>(v.x << n, (v.y << n) | (v.x >> (32u - n)));
}

// Shift right; bits shifted out are ORed into bit 0 (sticky), so rounding still sees them.
fn u64_shr_sticky(v: vec2<u32>, n: u32) -> vec2<u32> {
  if (n == 0u) {
    return v;
  }
  if (n >= 64u) {
    return vec2<u32>(select(0u, 1u, v.x != 0u || v.y != 0u), 0u);
  }
  var out: vec2<u32>;
  var lost: bool;
  if (n >= 32u) {
    let m = n - 32u;
    out = vec2<u32>(select(v.y >> m, v.y, m == 0u), 0u);
    lost = v.x != 0u || (m != 0u && (v.y << (32u - m)) != 0u);
  } else {
    out = vec2<u32>((v.x >> n) | (v.y << (32u - n)), v.y >> n);
    lost = (v.x << (32u - n)) != 0u;
  }
  out.x = out.x | select(0u, 1u, lost);
  return out;
}

fn u64_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

fn u64_sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  return vec2<u32>(a.x - b.x, a.y - b.y - select(0u, 1u, a.x < b.x));
}

fn u64_less(a: vec2<u32>, b: vec2<u32>) -> bool {
  return a.y < b.y || (a.y == b.y && a.x < b.x);
}

fn exact_fma(a: f32, b: f32, c: f32) -> f32 {
  let ua = bitcast<u32>(a);
  let ub = bitcast<u32>(b);
  let uc = bitcast<u32>(c);
  let ea = (ua >> 23u) & 0xffu;
  let eb = (ub >> 23u) & 0xffu;
  let ec = (uc >> 23u) & 0xffu;
  if (ea == 0u || eb == 0u || ec == 0u || ea == 255u || eb == 255u || ec == 255u) {
    return a * b + c;
  }
  let ma = (ua & 0x7fffffu) | 0x800000u;
  let mb = (ub & 0x7fffffu) | 0x800000u;
  let mc = (uc & 0x7fffffu) | 0x800000u;
  // The 48-bit product of the significands, from 16-bit limbs.
  let a0 = ma & 0xffffu;
  let a1 = ma >> 16u;
  let b0 = mb & 0xffffu;
  let b1 = mb >> 16u;
  let mid = a0 * b1 + a1 * b0;
  var prod = u64_add(vec2<u32>(a0 * b0, a1 * b1), vec2<u32>(mid << 16u, mid >> 16u));
  // Values as integer * 2^e: product = prod * 2^(ea + eb - 300), addend = mc * 2^(ec - 150). Both are
  // moved to a frame with the leading bit at 61 (room for a carry), then the smaller is aligned.
  let p_top = 32u + firstLeadingBit(prod.y);
  prod = u64_shl(prod, 61u - p_top);
  var ep = i32(ea) + i32(eb) - 300 - i32(61u - p_top);
  var cm = u64_shl(vec2<u32>(mc, 0u), 38u);
  var ecc = i32(ec) - 150 - 38;
  let sp = (ua ^ ub) & 0x80000000u;
  let sc = uc & 0x80000000u;
  var e: i32;
  if (ep >= ecc) {
    cm = u64_shr_sticky(cm, u32(min(ep - ecc, 64)));
    e = ep;
  } else {
    prod = u64_shr_sticky(prod, u32(min(ecc - ep, 64)));
    e = ecc;
  }
  var sum: vec2<u32>;
  var sign: u32;
  if (sp == sc) {
    sum = u64_add(prod, cm);
    sign = sp;
  } else if (u64_less(prod, cm)) {
    sum = u64_sub(cm, prod);
    sign = sc;
  } else {
    sum = u64_sub(prod, cm);
    sign = sp;
  }
  if (sum.x == 0u && sum.y == 0u) {
    return 0.0;
  }
  // Normalize to the leading bit at 63, then keep 24 bits and round the 40 below them to nearest even.
  var top: u32;
  if (sum.y != 0u) {
    top = 32u + firstLeadingBit(sum.y);
  } else {
    top = firstLeadingBit(sum.x);
  }
  sum = u64_shl(sum, 63u - top);
  e = e - i32(63u - top);
  var mant = sum.y >> 8u;
  let rest_hi = sum.y & 0xffu;
  let half = rest_hi > 0x80u || (rest_hi == 0x80u && (sum.x != 0u || (mant & 1u) == 1u));
  if (half) {
    mant = mant + 1u;
    if (mant == 0x1000000u) {
      mant = 0x800000u;
      e = e + 1;
    }
  }
  // mant * 2^(e + 40) with mant in [2^23, 2^24): biased exponent e + 40 + 23 + 127.
  let biased = e + 190;
  if (biased <= 0 || biased >= 255) {
    return a * b + c;
  }
  return bitcast<f32>(sign | (u32(biased) << 23u) | (mant & 0x7fffffu));
}

// ---- double-single arithmetic -------------------------------------------------------------------------
// A value as hi + lo (two float32, |lo| <= ulp(hi) / 2): ~48 significant bits, where PyTorch accumulates
// in float64 (cumsum of a float32 histogram, HistogramObserver's integral histogram).

fn two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = a + b;
  let bb = s - a;
  return vec2<f32>(s, (a - (s - bb)) + (b - bb));
}

fn ds_add(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let s = two_sum(a.x, b.x);
  let t = two_sum(a.y, b.y);
  let u = two_sum(s.x, s.y + t.x);
  return two_sum(u.x, u.y + t.y);
}

// a * b exactly as hi + lo (Dekker's product: each half of a 12/12-bit split multiplies exactly, so the
// result does not depend on whether the compiler fuses anything). No overflow/underflow handling.
fn two_prod(a: f32, b: f32) -> vec2<f32> {
  let p = a * b;
  let ah = bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
  let al = a - ah;
  let bh = bitcast<f32>(bitcast<u32>(b) & 0xfffff000u);
  let bl = b - bh;
  let e = (((ah * bh - p) + ah * bl) + al * bh) + al * bl;
  return vec2<f32>(p, e);
}

fn ds_mul_f32(a: f32, b: f32) -> vec2<f32> {
  return two_prod(a, b);
}

// A value with the sign of the exact a - q * b (zero when exact).
fn remainder_sign(a: f32, q: f32, b: f32) -> f32 {
  let p = two_prod(q, b);
  let d = two_sum(a, -p.x);
  return d.x + (d.y - p.y);
}

// floor(a / b) of the exact quotient, b > 0 (torch.div(..., rounding_mode='floor') for moderate quotients).
fn exact_floor_div(a: f32, b: f32) -> f32 {
  var q = floor(a / b);
  if (remainder_sign(a, q, b) < 0.0) {
    q = q - 1.0;
  }
  if (remainder_sign(a, q + 1.0, b) >= 0.0) {
    q = q + 1.0;
  }
  return q;
}

// ---- nearbyint and clamp by the magic number (SwiftShader) -------------------------------------------
// WGSL's `round` (RoundEven) and `clamp` (NClamp) are single instructions on GPUs but about fifteen and
// twenty-four SIMD operations each on SwiftShader, where the fake quantizer and the MSE observer are bound
// by operation count. There the same integers come from t = p + 1.5·2^23: the addition rounds to the
// integer grid of [2^23, 2^24), ties to even, so t - 1.5·2^23 = nearbyint(p) whenever |p| <= 2^22; beyond
// that t is still monotone in p and lands outside any clamp bound of an integer type up to 16 bits, as
// nearbyint(p) would. Positive floats order as their bits, so the clamp is two integer operations on t's
// bits against magic_bound(qmin), magic_bound(qmax), and magic_value() turns the clamped bits back into
// the integer. This needs a compiler that neither fuses p + MAGIC_NUMBER into an fma with the product
// before it nor reassociates (p + MAGIC_NUMBER) - MAGIC_NUMBER: true of SwiftShader (no contraction, no
// fast-math), not promised by GPU drivers, so the kernels take this path on SwiftShader only (their MAGIC
// override, chosen by usesMagicRounding in kernels/fake_quantize.ts); their parity tests run both paths.
const MAGIC_NUMBER = 12582912.0; // 1.5 * 2^23

fn magic_bits(p: vec4<f32>) -> vec4<i32> {
  return bitcast<vec4<i32>>(p + vec4<f32>(MAGIC_NUMBER));
}

// The bits magic_bits gives for the integer q (|q| <= 2^22).
fn magic_bound(q: f32) -> i32 {
  return bitcast<i32>(MAGIC_NUMBER + q);
}

// The integer whose magic_bits are b (b between two magic_bounds).
fn magic_value(b: vec4<i32>) -> vec4<f32> {
  return bitcast<vec4<f32>>(b) - vec4<f32>(MAGIC_NUMBER);
}
