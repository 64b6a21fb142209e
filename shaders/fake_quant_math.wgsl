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
