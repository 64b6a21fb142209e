// Max pooling's input gradient when windows do not overlap (stride = kernel, no padding): each output
// writes its whole window, gy where the input was the window's max and 0 elsewhere. Each invocation walks
// a run of EPI outputs of one plane (n, c). Inputs outside every window are zeroed beforehand.
override WG: u32 = 64u;
override EPI: u32 = 16u;

@group(0) @binding(0) var<storage, read> gy: array<f32>;
@group(0) @binding(1) var<storage, read> argmax: array<i32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
// The pool's output: with `masked`, a window whose max is not > 0 passes no gradient (a ReLU before
// the pool, fused into this backward).
@group(0) @binding(3) var<storage, read> pooled: array<f32>;
struct Params {
  planes: u32, stride: u32, runs: u32,
  H: u32, W: u32, OH: u32, OW: u32, KH: u32, KW: u32, masked: u32,
}
@group(0) @binding(4) var<uniform> params: Params;

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
    let o = plane * OHW + p;
    let g = select(0.0, gy[o], (params.masked == 0u) | (pooled[o] > 0.0));
    let chosen = argmax[o];
    let y0 = oy * params.KH;
    let x0 = ox * params.KW;
    for (var ky = 0u; ky < params.KH; ky++) {
      for (var kx = 0u; kx < params.KW; kx++) {
        let index = (y0 + ky) * params.W + x0 + kx;
        dx[inPlane + index] = select(0.0, g, i32(index) == chosen);
      }
    }
    ox++;
    if (ox == params.OW) {
      ox = 0u;
      oy++;
    }
  }
}
