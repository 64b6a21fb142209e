// batch_norm_backward_dx.wgsl for planes whose size is a multiple of 4: four vec4s of one plane per
// invocation. dx = scale·gy + (x - mean)·a + b with per-channel constants (a = b = 0 in evaluation).
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> gy: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> dweight: array<f32>;
@group(0) @binding(5) var<storage, read> dbias: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<vec4<f32>>;
struct Params { planes: u32, stride: u32, runs: u32, C: u32, HW4: u32, invM: f32, training: u32 }
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
  let training = params.training != 0u;
  let a = select(0.0, -scale * invstd * dweight[c] * params.invM, training);
  // Folding the mean in: dx = scale·gy + x·a + (b - mean·a).
  let b = select(0.0, -scale * dbias[c] * params.invM, training) - mean * a;
  let i = plane * params.HW4 + run * 4u;
  let end = plane * params.HW4 + params.HW4;
  if (i + 4u <= end) {
    let g0 = gy[i];
    let g1 = gy[i + 1u];
    let g2 = gy[i + 2u];
    let g3 = gy[i + 3u];
    let x0 = x[i];
    let x1 = x[i + 1u];
    let x2 = x[i + 2u];
    let x3 = x[i + 3u];
    dx[i] = scale * g0 + x0 * a + b;
    dx[i + 1u] = scale * g1 + x1 * a + b;
    dx[i + 2u] = scale * g2 + x2 * a + b;
    dx[i + 3u] = scale * g3 + x3 * a + b;
  } else {
    for (var k = i; k < end; k++) {
      dx[k] = scale * gy[k] + x[k] * a + b;
    }
  }
}
