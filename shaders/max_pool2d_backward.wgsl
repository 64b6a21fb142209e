// Max pooling's input gradient, gathered (no atomics): each input element adds gy of every window that
// contains it and chose it. Invocation (p, c, n) with p = iy·W + ix.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> gy: array<f32>;
@group(0) @binding(1) var<storage, read> argmax: array<i32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
struct Params { C: u32, H: u32, W: u32, OH: u32, OW: u32, KH: u32, KW: u32, SY: u32, SX: u32, PY: i32, PX: i32 }
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let p = gid.x;
  let c = gid.y;
  let n = gid.z;
  if (p >= params.H * params.W) {
    return;
  }
  let iy = i32(p / params.W);
  let ix = i32(p) - iy * i32(params.W);
  // Windows oy with oy·SY - PY ≤ iy < oy·SY - PY + KH.
  let ty = iy + params.PY;
  let tx = ix + params.PX;
  let oyLo = max(0, (ty - i32(params.KH) + i32(params.SY)) / i32(params.SY));
  let oyHi = min(i32(params.OH) - 1, ty / i32(params.SY));
  let oxLo = max(0, (tx - i32(params.KW) + i32(params.SX)) / i32(params.SX));
  let oxHi = min(i32(params.OW) - 1, tx / i32(params.SX));
  let outPlane = (n * params.C + c) * params.OH * params.OW;
  var acc = 0.0;
  for (var oy = oyLo; oy <= oyHi; oy++) {
    for (var ox = oxLo; ox <= oxHi; ox++) {
      let o = outPlane + u32(oy) * params.OW + u32(ox);
      acc += select(0.0, gy[o], argmax[o] == i32(p));
    }
  }
  dx[(n * params.C + c) * params.H * params.W + p] = acc;
}
