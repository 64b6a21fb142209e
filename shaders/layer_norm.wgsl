// Layer norm over the last D values of each row: y = (x - mean) · rstd · weight + bias, with the biased
// variance as PyTorch uses. One invocation per row; mean and rstd are saved for the backward.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;
struct Params { rows: u32, stride: u32, D: u32, eps: f32 }
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x + gid.y * params.stride;
  if (r >= params.rows) {
    return;
  }
  let base = r * params.D;
  let shift = x[base];
  var s1 = 0.0;
  var s2 = 0.0;
  for (var i = 0u; i < params.D; i++) {
    let d = x[base + i] - shift;
    s1 += d;
    s2 += d * d;
  }
  let n = f32(params.D);
  let mean = shift + s1 / n;
  let variance = max(s2 - s1 * s1 / n, 0.0) / n;
  let rstd = inverseSqrt(variance + params.eps);
  for (var i = 0u; i < params.D; i++) {
    y[base + i] = (x[base + i] - mean) * rstd * weight[i] + bias[i];
  }
  stats[2u * r] = mean;
  stats[2u * r + 1u] = rstd;
}
