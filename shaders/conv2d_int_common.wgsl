// Integer conv2d: bindings, parameters and the fused output stage shared by the dense int8 kernel
// (conv2d_int8.wgsl) and the general kernel (conv2d_int.wgsl).
//
// Layout (see src/fixed/layout.ts): activations NHWC with channels padded to a multiple of 4, packed
// (int8 four to a word, int16 two, int32 one); padded channel lanes hold the tensor's zero point.
// One invocation computes four consecutive output channels of one output pixel, so it owns whole
// output words: invocation idx = ((n * HO + oy) * WO + ox) * OC4 + oc4.

override WG: u32 = 64u;
override ACT_BITS: u32 = 8u;
override W_BITS: u32 = 8u;
override OUT_BITS: u32 = 8u;   // 32: int32 high-precision output, no requantization
override RES_BITS: u32 = 8u;
override HAS_RESIDUAL: bool = false;
override HAS_WZP: bool = false;

struct Params {
  total: u32,
  stride: u32,
  H: u32,
  W: u32,
  HO: u32,
  WO: u32,
  CP: u32,
  OC4: u32,
  KH: u32,
  KW: u32,
  SH: u32,
  SW: u32,
  PH: u32,
  PW: u32,
  DH: u32,
  DW: u32,
  CIN_G: u32,
  CIN_GP: u32,
  COUT_G: u32,
  COUT: u32,
  X_ZP: i32,
  Y_ZP: i32,
  LO: i32,
  HI: i32,
  R_ZP: i32,
  PAD_WORD: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
// @binding(1), the weights, is declared by each kernel (dense reads vec4 words, general single words).
// Per output channel: (bias, weight zero point); the dense kernel's bias has its constant terms folded in.
@group(0) @binding(2) var<storage, read> chan: array<vec2<i32>>;
@group(0) @binding(3) var<storage, read> rq: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read> res: array<u32>;
@group(0) @binding(5) var<storage, read_write> y: array<u32>;
@group(0) @binding(6) var<uniform> p: Params;

// The residual rescaled to the accumulator's scale s_x·s_w[c] (its constants follow the output's in rq),
// so that conv + add is requantized once.
fn residual_term(e: u32, ch: u32) -> i32 {
  let per = lanes_per_word(RES_BITS);
  let r = lane_of(res[e / per], RES_BITS, e % per);
  return scale_acc(r - p.R_ZP, rq[arrayLength(&rq) / 2u + ch]);
}

fn store_output(idx: u32, oc4: u32, acc: vec4<i32>) {
  if (OUT_BITS == 32u) {
    for (var j = 0u; j < 4u; j++) {
      y[idx * 4u + j] = bitcast<u32>(acc[j]);
    }
    return;
  }
  var v: vec4<i32>;
  for (var j = 0u; j < 4u; j++) {
    var a = acc[j];
    if (HAS_RESIDUAL) {
      a = a + residual_term(idx * 4u + j, oc4 * 4u + j);
    }
    v[j] = clamp(p.Y_ZP + scale_acc(a, rq[oc4 * 4u + j]), p.LO, p.HI);
  }
  if (OUT_BITS == 8u) {
    y[idx] = pack4x8(v);
  } else {
    y[idx * 2u] = pack2x16(v.x, v.y);
    y[idx * 2u + 1u] = pack2x16(v.z, v.w);
  }
}

struct Position {
  n: u32,
  oy: u32,
  ox: u32,
  oc4: u32,
}

fn position_of(idx: u32) -> Position {
  var pos: Position;
  pos.oc4 = idx % p.OC4;
  let pix = idx / p.OC4;
  pos.ox = pix % p.WO;
  pos.oy = (pix / p.WO) % p.HO;
  pos.n = pix / (p.WO * p.HO);
  return pos;
}
