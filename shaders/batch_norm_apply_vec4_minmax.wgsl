// batch_norm_apply_vec4.wgsl that also writes the (min, max) of each invocation's outputs to `partial`
// (one vec2 per invocation, planes · runs in all): a per-tensor min/max observer of the output then skips
// its own pass over it (kernels/observer_minmax.ts). y is computed exactly as there.
override WG: u32 = 64u;
override RELU: bool = false;

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> partial: array<vec2<f32>>;
struct Params { planes: u32, stride: u32, runs: u32, C: u32, HW4: u32 }
@group(0) @binding(6) var<uniform> params: Params;

fn apply(v: vec4<f32>, scale: f32, shift: f32) -> vec4<f32> {
  let r = v * scale + shift;
  return select(r, max(r, vec4<f32>(0.0)), RELU);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * params.stride;
  let plane = t / params.runs;
  if (plane >= params.planes) {
    return;
  }
  let run = t - plane * params.runs;
  let c = plane % params.C;
  let scale = stats[params.C + c] * weight[c];
  let shift = bias[c] - stats[c] * scale;
  let i = plane * params.HW4 + run * 4u;
  let end = plane * params.HW4 + params.HW4;
  var lo: vec4<f32>;
  var hi: vec4<f32>;
  if (i + 4u <= end) {
    let y0 = apply(x[i], scale, shift);
    let y1 = apply(x[i + 1u], scale, shift);
    let y2 = apply(x[i + 2u], scale, shift);
    let y3 = apply(x[i + 3u], scale, shift);
    y[i] = y0;
    y[i + 1u] = y1;
    y[i + 2u] = y2;
    y[i + 3u] = y3;
    lo = min(min(y0, y1), min(y2, y3));
    hi = max(max(y0, y1), max(y2, y3));
  } else {
    lo = apply(x[i], scale, shift);
    hi = lo;
    for (var k = i; k < end; k++) {
      let v = apply(x[k], scale, shift);
      y[k] = v;
      lo = min(lo, v);
      hi = max(hi, v);
    }
  }
  partial[t] = vec2<f32>(min(min(lo.x, lo.y), min(lo.z, lo.w)), max(max(hi.x, hi.y), max(hi.z, hi.w)));
}
