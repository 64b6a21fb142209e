// Evaluation-mode batch norm: stats = (running_mean, 1/sqrt(running_var + eps)) for the apply kernel.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> runningMean: array<f32>;
@group(0) @binding(1) var<storage, read> runningVar: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;
struct Params { C: u32, eps: f32 }
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c < params.C) {
    stats[c] = runningMean[c];
    stats[params.C + c] = inverseSqrt(runningVar[c] + params.eps);
  }
}
