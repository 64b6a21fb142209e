// Average pooling over NCHW; each invocation walks a run of EPI outputs of one plane (n, c). The windows,
// `params` and ADAPTIVE come from avg_pool_window.wgsl, put in front of this file.
override WG: u32 = 64u;
override EPI: u32 = 16u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

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
    let w = window(oy, ox);
    var acc = 0.0;
    for (var iy = w.y0; iy < w.y1; iy++) {
      for (var ix = w.x0; ix < w.x1; ix++) {
        acc += x[inPlane + u32(iy) * params.W + u32(ix)];
      }
    }
    y[plane * OHW + p] = acc / w.divisor;
    ox++;
    if (ox == params.OW) {
      ox = 0u;
      oy++;
    }
  }
}
