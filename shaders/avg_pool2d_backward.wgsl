// Average pooling's input gradient, gathered: each input element adds gy / divisor of every window that
// contains it. Each invocation walks a run of EPI input elements of one plane (n, c). The windows,
// `params` and ADAPTIVE come from avg_pool_window.wgsl, put in front of this file.
override WG: u32 = 64u;
override EPI: u32 = 16u;

@group(0) @binding(0) var<storage, read> gy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;

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
    // Candidate windows: a superset, each checked against its exact bounds.
    var oyLo = 0;
    var oyHi = i32(params.OH) - 1;
    var oxLo = 0;
    var oxHi = i32(params.OW) - 1;
    if (ADAPTIVE) {
      oyLo = max(0, (iy * i32(params.OH)) / i32(params.H) - 1);
      oyHi = min(oyHi, ((iy + 1) * i32(params.OH) + i32(params.H) - 1) / i32(params.H));
      oxLo = max(0, (ix * i32(params.OW)) / i32(params.W) - 1);
      oxHi = min(oxHi, ((ix + 1) * i32(params.OW) + i32(params.W) - 1) / i32(params.W));
    } else {
      let ty = iy + params.PY;
      let tx = ix + params.PX;
      oyLo = max(0, (ty - i32(params.KH) + i32(params.SY)) / i32(params.SY));
      oyHi = min(oyHi, ty / i32(params.SY));
      oxLo = max(0, (tx - i32(params.KW) + i32(params.SX)) / i32(params.SX));
      oxHi = min(oxHi, tx / i32(params.SX));
    }
    var acc = 0.0;
    for (var oy = oyLo; oy <= oyHi; oy++) {
      for (var ox = oxLo; ox <= oxHi; ox++) {
        let w = window(u32(oy), u32(ox));
        let inside = (iy >= w.y0) & (iy < w.y1) & (ix >= w.x0) & (ix < w.x1);
        acc += select(0.0, gy[outPlane + u32(oy) * params.OW + u32(ox)] / w.divisor, inside);
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
