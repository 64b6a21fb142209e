// max_pool2d_backward_disjoint.wgsl for 2×2 windows, stride 2, on rows of even width: each window is
// written as two vec2 pairs. Inputs outside every window are zeroed beforehand.
override WG: u32 = 64u;
override EPI: u32 = 16u;

@group(0) @binding(0) var<storage, read> gy: array<f32>;
@group(0) @binding(1) var<storage, read> argmax: array<i32>;
@group(0) @binding(2) var<storage, read_write> dx: array<vec2<f32>>;
// The pool's output: with `masked`, a window whose max is not > 0 passes no gradient (a ReLU before
// the pool, fused into this backward).
@group(0) @binding(3) var<storage, read> pooled: array<f32>;
struct Params { planes: u32, stride: u32, runs: u32, H: u32, W: u32, OH: u32, OW: u32, masked: u32 }
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
  let halfW = params.W / 2u;
  let first = run * EPI;
  let last = min(first + EPI, OHW);
  var oy = first / params.OW;
  var ox = first - oy * params.OW;
  for (var p = first; p < last; p++) {
    let o = plane * OHW + p;
    let g = select(0.0, gy[o], (params.masked == 0u) | (pooled[o] > 0.0));
    // Position of the chosen element within the window: 0..3 (row-major).
    let at = argmax[o] - i32(2u * oy * params.W + 2u * ox);
    let w = i32(params.W);
    let top = (plane * params.H + 2u * oy) * halfW + ox;
    dx[top] = vec2<f32>(select(0.0, g, at == 0), select(0.0, g, at == 1));
    dx[top + halfW] = vec2<f32>(select(0.0, g, at == w), select(0.0, g, at == w + 1));
    ox++;
    if (ox == params.OW) {
      ox = 0u;
      oy++;
    }
  }
}
