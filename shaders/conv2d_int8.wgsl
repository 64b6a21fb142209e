// Dense (groups = 1) int8 x int8 convolution on packed words with dot4i8 (the packed dot product where
// the adapter has it, else an unpacking fallback).
//
// Register tile: one invocation computes 4 output channels (one output word) for PX consecutive output
// pixels of a row, so each weight load feeds PX dot products. Invocation idx = ((n * HO + oy) * WOT +
// tile) * OC4 + oc4, WOT = ceil(WO / PX). Kernel size and input words per pixel are override constants
// (loops the compiler can unroll); the pipeline is per layer shape.
//
// Weights: [OC4][KH][KW][CP/4] vec4 words, the four output channels of a group in the vec4. Taps outside
// the input read PAD_WORD (the input zero point in every lane); the constant terms this leaves are
// folded into the bias on the CPU (src/fixed/gpu/conv2d_int.ts: foldedBias).

override KH_C: u32 = 3u;
override KW_C: u32 = 3u;
override CW_C: u32 = 1u;
const PX: u32 = 4u;

@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;

fn dot4x4(xw: u32, wv: vec4<u32>) -> vec4<i32> {
  return vec4<i32>(dot4i8(xw, wv.x), dot4i8(xw, wv.y), dot4i8(xw, wv.z), dot4i8(xw, wv.w));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  if (idx >= p.total) {
    return;
  }
  let wot = (p.WO + PX - 1u) / PX;
  let oc4 = idx % p.OC4;
  let t = idx / p.OC4;
  let ox0 = (t % wot) * PX;
  let oy = (t / wot) % p.HO;
  let n = t / (wot * p.HO);
  let b = vec4<i32>(chan[oc4 * 4u].x, chan[oc4 * 4u + 1u].x, chan[oc4 * 4u + 2u].x, chan[oc4 * 4u + 3u].x);
  var acc = array<vec4<i32>, PX>(b, b, b, b);
  var xsum = array<i32, PX>(0, 0, 0, 0);
  let wbase = oc4 * KH_C * KW_C * CW_C;
  for (var ky = 0u; ky < KH_C; ky++) {
    let iy = i32(oy * p.SH + ky * p.DH) - i32(p.PH);
    let row_inside = iy >= 0 && iy < i32(p.H);
    let row = (n * p.H + u32(max(iy, 0))) * p.W;
    for (var kx = 0u; kx < KW_C; kx++) {
      var base: array<u32, PX>;
      var inside: array<bool, PX>;
      for (var q = 0u; q < PX; q++) {
        let ix = i32((ox0 + q) * p.SW + kx * p.DW) - i32(p.PW);
        inside[q] = row_inside && ix >= 0 && ix < i32(p.W);
        base[q] = (row + u32(max(ix, 0))) * CW_C;
      }
      let wtap = wbase + (ky * KW_C + kx) * CW_C;
      for (var c = 0u; c < CW_C; c++) {
        let wv = w[wtap + c];
        for (var q = 0u; q < PX; q++) {
          var xw = p.PAD_WORD;
          if (inside[q]) {
            xw = x[base[q] + c];
          }
          acc[q] += dot4x4(xw, wv);
          if (HAS_WZP) {
            xsum[q] += dot4i8(xw, 0x01010101u);
          }
        }
      }
    }
  }
  let zw = vec4<i32>(chan[oc4 * 4u].y, chan[oc4 * 4u + 1u].y, chan[oc4 * 4u + 2u].y, chan[oc4 * 4u + 3u].y);
  for (var q = 0u; q < PX; q++) {
    if (ox0 + q < p.WO) {
      var a = acc[q];
      if (HAS_WZP) {
        a -= zw * xsum[q];
      }
      store_output(((n * p.HO + oy) * p.WO + ox0 + q) * p.OC4 + oc4, oc4, a);
    }
  }
}
