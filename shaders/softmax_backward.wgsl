// Softmax's input gradient from its output y: dx = y · (gy - Σ_d gy·y), along the softmax dimension.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> gy: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
struct Params { n: u32, stride: u32, D: u32, inner: u32 }
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x + gid.y * params.stride;
  if (r >= params.n) {
    return;
  }
  let outer = r / params.inner;
  let inner = r - outer * params.inner;
  let base = outer * params.D * params.inner + inner;
  var dot = 0.0;
  for (var d = 0u; d < params.D; d++) {
    let i = base + d * params.inner;
    dot += gy[i] * y[i];
  }
  for (var d = 0u; d < params.D; d++) {
    let i = base + d * params.inner;
    dx[i] = y[i] * (gy[i] - dot);
  }
}
