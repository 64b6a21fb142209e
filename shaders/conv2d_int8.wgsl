// Dense (groups = 1) int8 x int8 convolution on packed words with dot4i8 (the packed dot product where
// the adapter has it, else an unpacking fallback). Weights: [OC4][KH][KW][CP/4][4] words, four output
// channels interleaved so one vec4 load feeds four dot products. Taps outside the input read PAD_WORD
// (the input zero point in every lane); the constant terms this leaves are folded into the bias on the
// CPU (src/fixed/gpu/conv2d_int.ts: foldedBias).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  if (idx >= p.total) {
    return;
  }
  let pos = position_of(idx);
  let cw = p.CP / 4u;
  let taps = p.KH * p.KW;
  var acc = vec4<i32>(chan[pos.oc4 * 4u].x, chan[pos.oc4 * 4u + 1u].x, chan[pos.oc4 * 4u + 2u].x, chan[pos.oc4 * 4u + 3u].x);
  var xsum = 0;
  let wbase = pos.oc4 * taps * cw;
  for (var ky = 0u; ky < p.KH; ky++) {
    let iy = i32(pos.oy * p.SH + ky * p.DH) - i32(p.PH);
    for (var kx = 0u; kx < p.KW; kx++) {
      let ix = i32(pos.ox * p.SW + kx * p.DW) - i32(p.PW);
      let inside = iy >= 0 && iy < i32(p.H) && ix >= 0 && ix < i32(p.W);
      let xbase = ((pos.n * p.H + u32(max(iy, 0))) * p.W + u32(max(ix, 0))) * cw;
      let wtap = (wbase + (ky * p.KW + kx) * cw) * 4u;
      for (var c = 0u; c < cw; c++) {
        var xw = p.PAD_WORD;
        if (inside) {
          xw = x[xbase + c];
        }
        let wo = wtap + c * 4u;
        acc += vec4<i32>(dot4i8(xw, w[wo]), dot4i8(xw, w[wo + 1u]), dot4i8(xw, w[wo + 2u]), dot4i8(xw, w[wo + 3u]));
        if (HAS_WZP) {
          xsum += dot4i8(xw, 0x01010101u);
        }
      }
    }
  }
  if (HAS_WZP) {
    let zw = vec4<i32>(chan[pos.oc4 * 4u].y, chan[pos.oc4 * 4u + 1u].y, chan[pos.oc4 * 4u + 2u].y, chan[pos.oc4 * 4u + 3u].y);
    acc -= zw * xsum;
  }
  store_output(idx, pos.oc4, acc);
}
