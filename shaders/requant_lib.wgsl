// Requantization, bit for bit as src/fixed/requant.ts (the CPU reference):
// multiplier mode (gemmlowp: SaturatingRoundingDoublingHighMul + RoundingDivideByPOT) or float mode
// (qnnpack: round_half_even(f32(f32(acc) * scale))). A channel's constants are a vec2<u32>: float mode
// (bits of the f32 scale, unused), multiplier mode (multiplier, shift as i32).
override REQUANT_FLOAT: bool = false;

const INT32_MIN: i32 = -2147483647 - 1;
const INT32_MAX: i32 = 2147483647;
const TERM_LIMIT: i32 = 536870912; // 2^29

// int32 -> f32 rounding to nearest even, whatever the hardware conversion does above 2^24: the two parts
// (x with its low 12 bits cleared: at most 20 significant bits; and those 12 bits) convert exactly, and
// their sum is one correctly rounded addition. Branch-free and without per-lane variable shifts, which
// software adapters (SwiftShader) run slowly and on both sides of a branch.
fn i32_to_f32_rne(x: i32) -> f32 {
  return f32(x & ~0xfff) + f32(x & 0xfff);
}

fn scale_float(acc: i32, scale: f32) -> i32 {
  let r = round(i32_to_f32_rne(acc) * scale);
  return i32(clamp(r, -536870912.0, 536870912.0));
}

// (lo, hi) words of the 64-bit two's complement product a * b.
fn mul_i32_wide(a: i32, b: i32) -> vec2<u32> {
  let ua = bitcast<u32>(a);
  let ub = bitcast<u32>(b);
  let a0 = ua & 0xffffu;
  let a1 = ua >> 16u;
  let b0 = ub & 0xffffu;
  let b1 = ub >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  let lo = (p00 & 0xffffu) | (mid << 16u);
  var hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
  if (a < 0) {
    hi = hi - ub;
  }
  if (b < 0) {
    hi = hi - ua;
  }
  return vec2<u32>(lo, hi);
}

fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
  if (a == INT32_MIN && b == INT32_MIN) {
    return INT32_MAX;
  }
  let p = mul_i32_wide(a, b);
  let negative = (p.y & 0x80000000u) != 0u;
  // nudge: 2^30, or 1 - 2^30 sign-extended
  let nudge_lo = select(0x40000000u, 0xC0000001u, negative);
  let nudge_hi = select(0u, 0xffffffffu, negative);
  var lo = p.x + nudge_lo;
  var hi = p.y + nudge_hi + select(0u, 1u, lo < p.x);
  if (negative) {
    // truncating division: add 2^31 - 1 before the arithmetic shift
    let lo2 = lo + 0x7fffffffu;
    hi = hi + select(0u, 1u, lo2 < lo);
    lo = lo2;
  }
  return bitcast<i32>((hi << 1u) | (lo >> 31u));
}

fn rounding_divide_by_pot(x: i32, exponent: u32) -> i32 {
  if (exponent == 0u) {
    return x;
  }
  let mask = select((1 << exponent) - 1, 0x7fffffff, exponent >= 31u);
  let remainder = x & mask;
  let threshold = (mask >> 1u) + select(0, 1, x < 0);
  return (x >> exponent) + select(0, 1, remainder > threshold);
}

fn scale_multiplier(acc: i32, multiplier: i32, shift: i32) -> i32 {
  var x = acc;
  if (shift > 0) {
    let limit = 1 << u32(31 - shift);
    if (x >= limit) {
      x = INT32_MAX;
    } else if (x < -limit) {
      x = INT32_MIN;
    } else {
      x = x << u32(shift);
    }
  }
  let right = u32(max(-shift, 0));
  let y = rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, multiplier), right);
  return clamp(y, -TERM_LIMIT, TERM_LIMIT);
}

// acc (zero points already subtracted) scaled to the output, bounded to ±2^29 so sums cannot overflow.
fn scale_acc(acc: i32, rq: vec2<u32>) -> i32 {
  if (REQUANT_FLOAT) {
    return scale_float(acc, bitcast<f32>(rq.x));
  }
  return scale_multiplier(acc, bitcast<i32>(rq.x), bitcast<i32>(rq.y));
}
