// y = (x - mean[c]) * invstd[c] * weight[c] + bias[c] over an NCHW tensor; invocation (p, c, n).
// With RELU the result is clamped at 0 (batch norm and ReLU fused).
override WG: u32 = 64u;
override RELU: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
struct Params { C: u32, HW: u32 }
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let p = gid.x;
  let c = gid.y;
  let n = gid.z;
  if (p >= params.HW) {
    return;
  }
  let i = (n * params.C + c) * params.HW + p;
  let scale = stats[params.C + c] * weight[c];
  let v = (x[i] - stats[c]) * scale + bias[c];
  y[i] = select(v, max(v, 0.0), RELU);
}
