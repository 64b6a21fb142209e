// Max pooling over NCHW (padding counts as -inf, as in PyTorch); invocation (p, c, n) with p = oy·OW + ox.
// Writes the max and the index of its element within the input plane (first one on ties), for backward.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> argmax: array<i32>;
struct Params { C: u32, H: u32, W: u32, OH: u32, OW: u32, KH: u32, KW: u32, SY: u32, SX: u32, PY: i32, PX: i32 }
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let p = gid.x;
  let c = gid.y;
  let n = gid.z;
  if (p >= params.OH * params.OW) {
    return;
  }
  let oy = p / params.OW;
  let ox = p - oy * params.OW;
  let plane = (n * params.C + c) * params.H * params.W;
  let y0 = i32(oy * params.SY) - params.PY;
  let x0 = i32(ox * params.SX) - params.PX;
  var best = -3.4028234663852886e38;
  var bestIndex = -1;
  var found = false;
  for (var ky = 0u; ky < params.KH; ky++) {
    let iy = y0 + i32(ky);
    for (var kx = 0u; kx < params.KW; kx++) {
      let ix = x0 + i32(kx);
      let inside = (u32(iy) < params.H) & (u32(ix) < params.W);
      let index = select(0, iy * i32(params.W) + ix, inside);
      let v = x[plane + u32(index)];
      // As PyTorch: the first element inside the window, then any larger one or a NaN.
      let take = inside & (!found | (v > best) | (v != v));
      best = select(best, v, take);
      bestIndex = select(bestIndex, index, take);
      found = found | inside;
    }
  }
  let o = (n * params.C + c) * params.OH * params.OW + p;
  y[o] = best;
  argmax[o] = bestIndex;
}
