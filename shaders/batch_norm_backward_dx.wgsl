// Batch norm's input gradient. Training (batch statistics):
//   dx = weight·invstd · (gy - Σgy / M - x̂ · Σ(gy·x̂) / M),  M = N·H·W
// evaluation (running statistics are constants): dx = weight·invstd·gy.
// Each invocation walks a run of EPI pixels of one plane (n, c).
override WG: u32 = 64u;
override EPI: u32 = 16u;

@group(0) @binding(0) var<storage, read> gy: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> dweight: array<f32>;
@group(0) @binding(5) var<storage, read> dbias: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
struct Params { planes: u32, stride: u32, runs: u32, C: u32, HW: u32, invM: f32, training: u32 }
@group(0) @binding(7) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * params.stride;
  let plane = t / params.runs;
  if (plane >= params.planes) {
    return;
  }
  let run = t - plane * params.runs;
  let c = plane % params.C;
  let mean = stats[c];
  let invstd = stats[params.C + c];
  let scale = weight[c] * invstd;
  // Training: dx = scale·gy + (x - mean)·a + b, with the per-channel constants below.
  let training = params.training != 0u;
  let a = select(0.0, -scale * invstd * dweight[c] * params.invM, training);
  let b = select(0.0, -scale * dbias[c] * params.invM, training);
  let base = plane * params.HW;
  let last = base + min((run + 1u) * EPI, params.HW);
  for (var i = base + run * EPI; i < last; i++) {
    dx[i] = scale * gy[i] + (x[i] - mean) * a + b;
  }
}
