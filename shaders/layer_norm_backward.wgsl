// Layer norm's input gradient per row, with g = gy · weight and x̂ = (x - mean) · rstd:
//   dx = rstd · (g - mean(g) - x̂ · mean(g · x̂))
// and gyxhat = gy · x̂ for the weight gradient (summed over rows afterwards).
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> gy: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read_write> gyxhat: array<f32>;
struct Params { rows: u32, stride: u32, D: u32 }
@group(0) @binding(6) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x + gid.y * params.stride;
  if (r >= params.rows) {
    return;
  }
  let base = r * params.D;
  let mean = stats[2u * r];
  let rstd = stats[2u * r + 1u];
  var sg = 0.0;
  var sgx = 0.0;
  for (var i = 0u; i < params.D; i++) {
    let xhat = (x[base + i] - mean) * rstd;
    let g = gy[base + i] * weight[i];
    sg += g;
    sgx += g * xhat;
    gyxhat[base + i] = gy[base + i] * xhat;
  }
  let n = f32(params.D);
  for (var i = 0u; i < params.D; i++) {
    let xhat = (x[base + i] - mean) * rstd;
    let g = gy[base + i] * weight[i];
    dx[base + i] = rstd * (g - sg / n - xhat * sgx / n);
  }
}
