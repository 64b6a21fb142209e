// y = (x - mean[c]) * invstd[c] * weight[c] + bias[c] over an NCHW tensor. Each invocation walks a run of
// EPI pixels of one plane (n, c); with RELU the result is clamped at 0 (batch norm and ReLU fused).
override WG: u32 = 64u;
override EPI: u32 = 16u;
override RELU: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
struct Params { planes: u32, stride: u32, runs: u32, C: u32, HW: u32 }
@group(0) @binding(5) var<uniform> params: Params;

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
  let base = plane * params.HW;
  let last = base + min((run + 1u) * EPI, params.HW);
  for (var i = base + run * EPI; i < last; i++) {
    let v = x[i] * scale + shift;
    y[i] = select(v, max(v, 0.0), RELU);
  }
}
