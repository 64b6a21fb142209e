// Max pooling over NCHW (padding counts as -inf, as in PyTorch). Each invocation walks a run of EPI
// outputs of one plane (n, c), writing the max and the index of its element within the input plane
// (the first maximum; a NaN wins, as in PyTorch), for the backward.
override WG: u32 = 64u;
override EPI: u32 = 16u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> argmax: array<i32>;
struct Params {
  planes: u32, stride: u32, runs: u32,
  H: u32, W: u32, OH: u32, OW: u32, KH: u32, KW: u32, SY: u32, SX: u32, PY: i32, PX: i32,
}
@group(0) @binding(3) var<uniform> params: Params;

// WGSL lets compilers assume values are never NaN, so x != x may fold to false: test the bits.
fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * params.stride;
  let plane = t / params.runs;
  if (plane >= params.planes) {
    return;
  }
  let run = t - plane * params.runs;
  let OHW = params.OH * params.OW;
  let inPlane = plane * params.H * params.W;
  let first = run * EPI;
  let last = min(first + EPI, OHW);
  var oy = first / params.OW;
  var ox = first - oy * params.OW;
  for (var p = first; p < last; p++) {
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
        let v = x[inPlane + u32(index)];
        let take = inside & (!found | (v > best) | isNan(v));
        best = select(best, v, take);
        bestIndex = select(bestIndex, index, take);
        found = found | inside;
      }
    }
    let o = plane * OHW + p;
    y[o] = best;
    argmax[o] = bestIndex;
    ox++;
    if (ox == params.OW) {
      ox = 0u;
      oy++;
    }
  }
}
