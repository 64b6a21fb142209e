// batch_norm_apply.wgsl for planes whose size is a multiple of 4: each invocation moves four vec4s of
// one plane (n, c). y = x * scale[c] + shift[c] (then ReLU when fused).
override WG: u32 = 64u;
override RELU: bool = false;

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<vec4<f32>>;
struct Params { planes: u32, stride: u32, runs: u32, C: u32, HW4: u32 }
@group(0) @binding(5) var<uniform> params: Params;

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
  if (i + 4u <= end) {
    let x0 = x[i];
    let x1 = x[i + 1u];
    let x2 = x[i + 2u];
    let x3 = x[i + 3u];
    y[i] = apply(x0, scale, shift);
    y[i + 1u] = apply(x1, scale, shift);
    y[i + 2u] = apply(x2, scale, shift);
    y[i + 3u] = apply(x3, scale, shift);
  } else {
    for (var k = i; k < end; k++) {
      y[k] = apply(x[k], scale, shift);
    }
  }
}
