// Per-chunk sums for batch norm's backward: Σ gy and Σ gy·x̂ over one chunk of the plane (n, c), where
// x̂ = (x - mean[c]) · invstd[c]. batch_norm_backward_finalize.wgsl adds the chunks of each channel.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> gy: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;
struct Params { n: u32, stride: u32, C: u32, HW: u32, chunks: u32, chunk: u32 }
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * params.stride;
  if (t >= params.n) {
    return;
  }
  let plane = t / params.chunks;
  let k = t - plane * params.chunks;
  let c = plane % params.C;
  let base = plane * params.HW;
  let start = k * params.chunk;
  let end = min(start + params.chunk, params.HW);
  let mean = stats[c];
  let invstd = stats[params.C + c];
  var sg = 0.0;
  var sgx = 0.0;
  for (var i = start; i < end; i++) {
    let g = gy[base + i];
    sg += g;
    sgx += g * (x[base + i] - mean);
  }
  let q = t * 2u;
  partial[q] = sg;
  partial[q + 1u] = sgx * invstd;
}
