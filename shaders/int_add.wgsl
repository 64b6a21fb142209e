// Integer add of two device activations of the same shape, each rescaled to the output scale and the sum
// rounded once (src/fixed/ops.ts AddOpSpec, CPU twin cpu/int_add.ts):
//   float mode:       y = clamp(z_y + round(f32(f32(a'·M_a) + f32(b'·M_b))), lo, hi)
//   multiplier mode:  y = clamp(z_y + RoundingDivideByPOT(scale(a', M_a·2^K) + scale(b', M_b·2^K), K), lo, hi)
// One invocation per output word.
override WG: u32 = 64u;
override A_BITS: u32 = 8u;
override B_BITS: u32 = 8u;
override OUT_BITS: u32 = 8u;

struct Params {
  total: u32,
  stride: u32,
  A_ZP: i32,
  B_ZP: i32,
  Y_ZP: i32,
  LO: i32,
  HI: i32,
  A_RQ0: u32,
  A_RQ1: u32,
  B_RQ0: u32,
  B_RQ1: u32,
  K: u32,
  // Always 0: XOR-ing a product's bits with it keeps the compiler from fusing multiply and add.
  ZERO: u32,
}

@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> b: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;
@group(0) @binding(3) var<uniform> p: Params;

fn keep(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) ^ p.ZERO);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  if (idx >= p.total) {
    return;
  }
  let lanes = lanes_per_word(OUT_BITS);
  let al = lanes_per_word(A_BITS);
  let bl = lanes_per_word(B_BITS);
  let mask = (1u << OUT_BITS) - 1u;
  var word = 0u;
  for (var l = 0u; l < lanes; l++) {
    let e = idx * lanes + l;
    let av = lane_of(a[e / al], A_BITS, e % al) - p.A_ZP;
    let bv = lane_of(b[e / bl], B_BITS, e % bl) - p.B_ZP;
    var t: i32;
    if (REQUANT_FLOAT) {
      let fa = keep(f32(av) * bitcast<f32>(p.A_RQ0));
      let fb = keep(f32(bv) * bitcast<f32>(p.B_RQ0));
      t = i32(clamp(round(keep(fa + fb)), -536870912.0, 536870912.0));
    } else {
      let ta = scale_acc(av, vec2<u32>(p.A_RQ0, p.A_RQ1));
      let tb = scale_acc(bv, vec2<u32>(p.B_RQ0, p.B_RQ1));
      t = clamp(rounding_divide_by_pot(ta + tb, p.K), -TERM_LIMIT, TERM_LIMIT);
    }
    let q = clamp(p.Y_ZP + t, p.LO, p.HI);
    word = word | ((bitcast<u32>(q) & mask) << (l * OUT_BITS));
  }
  y[idx] = word;
}
