// Softmax along one dimension of a tensor seen as [outer, D, inner]; invocation per (outer, inner) pair.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
struct Params { n: u32, stride: u32, D: u32, inner: u32 }
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x + gid.y * params.stride;
  if (r >= params.n) {
    return;
  }
  let outer = r / params.inner;
  let inner = r - outer * params.inner;
  let base = outer * params.D * params.inner + inner;
  var m = -3.4028234663852886e38;
  for (var d = 0u; d < params.D; d++) {
    m = max(m, x[base + d * params.inner]);
  }
  var s = 0.0;
  for (var d = 0u; d < params.D; d++) {
    s += exp(x[base + d * params.inner] - m);
  }
  let inv = 1.0 / s;
  for (var d = 0u; d < params.D; d++) {
    y[base + d * params.inner] = exp(x[base + d * params.inner] - m) * inv;
  }
}
