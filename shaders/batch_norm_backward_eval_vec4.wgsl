// Batch norm backward in evaluation mode (running statistics; the QAT conv+BN's per-channel rescale) in one
// pass over gy and x: the partial Σ gy and Σ gy·x̂ of batch_norm_backward_stats_vec4.wgsl (same chunks,
// same order of additions) and dx of batch_norm_backward_dx_vec4.wgsl in evaluation (a = 0, b = -mean·0),
// so each result has the bits of the two separate kernels. dx does not need the sums in evaluation.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> gy: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<vec4<f32>>;
struct Params { n: u32, stride: u32, C: u32, HW4: u32, chunks: u32, chunk4: u32, zero: u32 }
@group(0) @binding(6) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * params.stride;
  if (t >= params.n) {
    return;
  }
  let plane = t / params.chunks;
  let k = t - plane * params.chunks;
  let c = plane % params.C;
  let base = plane * params.HW4;
  let start = k * params.chunk4;
  let end = min(start + params.chunk4, params.HW4);
  let mean = stats[c];
  let invstd = stats[params.C + c];
  let scale = weight[c] * invstd;
  // a = +0 from a uniform, not a literal: the compiler must not drop x·a + b (it turns -0 into +0, and
  // an infinite x into NaN, as in the two-kernel path).
  let a = bitcast<f32>(params.zero);
  let b = a - mean * a;
  var sg = vec4<f32>(0.0);
  var sgx = vec4<f32>(0.0);
  var i = start;
  for (; i + 2u <= end; i += 2u) {
    let g0 = gy[base + i];
    let g1 = gy[base + i + 1u];
    let x0 = x[base + i];
    let x1 = x[base + i + 1u];
    sg += g0 + g1;
    sgx += g0 * (x0 - mean) + g1 * (x1 - mean);
    dx[base + i] = scale * g0 + x0 * a + b;
    dx[base + i + 1u] = scale * g1 + x1 * a + b;
  }
  if (i < end) {
    let g = gy[base + i];
    let xv = x[base + i];
    sg += g;
    sgx += g * (xv - mean);
    dx[base + i] = scale * g + xv * a + b;
  }
  let q = t * 2u;
  partial[q] = sg.x + sg.y + sg.z + sg.w;
  partial[q + 1u] = (sgx.x + sgx.y + sgx.z + sgx.w) * stats[params.C + c];
}
