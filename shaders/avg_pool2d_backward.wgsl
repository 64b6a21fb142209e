// Average pooling's input gradient, gathered: each input element adds gy / divisor of every window that
// contains it. Each invocation walks a run of EPI input elements of one plane (n, c). The window
// function matches avg_pool2d.wgsl.
override WG: u32 = 64u;
override EPI: u32 = 16u;
override ADAPTIVE: bool = false;

@group(0) @binding(0) var<storage, read> gy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
struct Params {
  planes: u32, stride: u32, runs: u32,
  H: u32, W: u32, OH: u32, OW: u32, KH: u32, KW: u32, SY: u32, SX: u32, PY: i32, PX: i32, countPad: u32,
}
@group(0) @binding(2) var<uniform> params: Params;

struct Window { y0: i32, y1: i32, x0: i32, x1: i32, divisor: f32 }

fn window(oy: u32, ox: u32) -> Window {
  if (ADAPTIVE) {
    let y0 = i32((oy * params.H) / params.OH);
    let y1 = i32(((oy + 1u) * params.H + params.OH - 1u) / params.OH);
    let x0 = i32((ox * params.W) / params.OW);
    let x1 = i32(((ox + 1u) * params.W + params.OW - 1u) / params.OW);
    return Window(y0, y1, x0, x1, f32((y1 - y0) * (x1 - x0)));
  }
  var y0 = i32(oy * params.SY) - params.PY;
  var x0 = i32(ox * params.SX) - params.PX;
  var y1 = min(y0 + i32(params.KH), i32(params.H) + params.PY);
  var x1 = min(x0 + i32(params.KW), i32(params.W) + params.PX);
  let padded = f32((y1 - y0) * (x1 - x0));
  y0 = max(y0, 0);
  x0 = max(x0, 0);
  y1 = min(y1, i32(params.H));
  x1 = min(x1, i32(params.W));
  let divisor = select(f32((y1 - y0) * (x1 - x0)), padded, params.countPad != 0u);
  return Window(y0, y1, x0, x1, divisor);
}

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
