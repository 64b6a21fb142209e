// The pooling windows of avg_pool2d and adaptive_avg_pool2d, shared by the forward and backward kernels
// (src/engine/kernels/pool.ts puts this in front of each). Fixed windows follow PyTorch's avg_pool2d
// (count_include_pad: the divisor counts padding inside H + 2·PY, not beyond); with ADAPTIVE the window of
// output o is [floor(o·H/OH), ceil((o+1)·H/OH)) as in adaptive_avg_pool2d.
override ADAPTIVE: bool = false;

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
