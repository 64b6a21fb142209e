// General integer convolution: any groups (depthwise included), int8 or int16 activations and weights,
// lanes unpacked one by one. Weights: [O][KH][KW][CIN_GP] elements packed by W_BITS. Computes
//   acc = bias + Σ_valid taps (x − z_x)(w − z_w)
// exactly as the CPU reference does (int32, wrapping).

@group(0) @binding(1) var<storage, read> w: array<u32>;

fn act_at(e: u32) -> i32 {
  let per = lanes_per_word(ACT_BITS);
  return lane_of(x[e / per], ACT_BITS, e % per);
}

fn weight_at(e: u32) -> i32 {
  let per = lanes_per_word(W_BITS);
  return lane_of(w[e / per], W_BITS, e % per);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  if (idx >= p.total) {
    return;
  }
  let pos = position_of(idx);
  var acc = vec4<i32>(0);
  for (var j = 0u; j < 4u; j++) {
    let oc = pos.oc4 * 4u + j;
    if (oc >= p.COUT) {
      continue;
    }
    let g = oc / p.COUT_G;
    let zw = chan[oc].y;
    var a = chan[oc].x;
    for (var ky = 0u; ky < p.KH; ky++) {
      let iy = i32(pos.oy * p.SH + ky * p.DH) - i32(p.PH);
      if (iy < 0 || iy >= i32(p.H)) {
        continue;
      }
      for (var kx = 0u; kx < p.KW; kx++) {
        let ix = i32(pos.ox * p.SW + kx * p.DW) - i32(p.PW);
        if (ix < 0 || ix >= i32(p.W)) {
          continue;
        }
        let xbase = ((pos.n * p.H + u32(iy)) * p.W + u32(ix)) * p.CP + g * p.CIN_G;
        let wbase = ((oc * p.KH + ky) * p.KW + kx) * p.CIN_GP;
        for (var c = 0u; c < p.CIN_G; c++) {
          a += (act_at(xbase + c) - p.X_ZP) * (weight_at(wbase + c) - zw);
        }
      }
    }
    acc[j] = a;
  }
  store_output(idx, pos.oc4, acc);
}
