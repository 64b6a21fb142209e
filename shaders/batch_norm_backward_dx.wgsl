// Batch norm's input gradient; invocation (p, c, n). Training (batch statistics):
//   dx = weight·invstd · (gy - Σgy / M - x̂ · Σ(gy·x̂) / M),  M = N·H·W
// evaluation (running statistics are constants): dx = weight·invstd·gy.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> gy: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> dweight: array<f32>;
@group(0) @binding(5) var<storage, read> dbias: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
struct Params { C: u32, HW: u32, invM: f32, training: u32 }
@group(0) @binding(7) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let p = gid.x;
  let c = gid.y;
  let n = gid.z;
  if (p >= params.HW) {
    return;
  }
  let i = (n * params.C + c) * params.HW + p;
  let invstd = stats[params.C + c];
  let scale = weight[c] * invstd;
  if (params.training != 0u) {
    let xhat = (x[i] - stats[c]) * invstd;
    dx[i] = scale * (gy[i] - dbias[c] * params.invM - xhat * dweight[c] * params.invM);
  } else {
    dx[i] = scale * gy[i];
  }
}
