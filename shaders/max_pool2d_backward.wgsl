// Max pooling's input gradient, gathered (no atomics): each input element adds gy of every window that
// contains it and chose it. Each invocation walks a run of EPI input elements of one plane (n, c).
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
  H: u32, W: u32, OH: u32, OW: u32, KH: u32, KW: u32, SY: u32, SX: u32, PY: i32, PX: i32, countPad: u32, masked: u32,
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
  let HW = params.H * params.W;
  let outPlane = plane * params.OH * params.OW;
  let first = run * EPI;
  let last = min(first + EPI, HW);
  var iy = i32(first / params.W);
  var ix = i32(first) - iy * i32(params.W);
  for (var p = first; p < last; p++) {
    // Windows oy with oy·SY - PY ≤ iy < oy·SY - PY + KH.
    let ty = iy + params.PY;
    let tx = ix + params.PX;
    let oyLo = max(0, (ty - i32(params.KH) + i32(params.SY)) / i32(params.SY));
    let oyHi = min(i32(params.OH) - 1, ty / i32(params.SY));
    let oxLo = max(0, (tx - i32(params.KW) + i32(params.SX)) / i32(params.SX));
    let oxHi = min(i32(params.OW) - 1, tx / i32(params.SX));
    var acc = 0.0;
    for (var oy = oyLo; oy <= oyHi; oy++) {
      for (var ox = oxLo; ox <= oxHi; ox++) {
        let o = outPlane + u32(oy) * params.OW + u32(ox);
        let open = (params.masked == 0u) | (pooled[o] > 0.0);
        acc += select(0.0, gy[o], (argmax[o] == i32(p)) & open);
      }
    }
    dx[plane * HW + p] = acc;
    ix++;
    if (ix == i32(params.W)) {
      ix = 0;
      iy++;
    }
  }
}
