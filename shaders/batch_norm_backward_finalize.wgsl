// Adds the per-chunk sums of each channel: dbias[c] = Σ gy, dweight[c] = Σ gy·x̂.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> partial: array<f32>;
@group(0) @binding(1) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(2) var<storage, read_write> dbias: array<f32>;
struct Params { N: u32, C: u32, chunks: u32 }
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= params.C) {
    return;
  }
  var sg = 0.0;
  var sgx = 0.0;
  for (var n = 0u; n < params.N; n++) {
    for (var k = 0u; k < params.chunks; k++) {
      let q = ((n * params.C + c) * params.chunks + k) * 2u;
      sg += partial[q];
      sgx += partial[q + 1u];
    }
  }
  dbias[c] = sg;
  dweight[c] = sgx;
}
