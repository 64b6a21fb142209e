// batch_norm_stats.wgsl for chunks that are whole vec4s (plane and chunk sizes multiples of 4): the
// same shifted sums, four values per load.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> partial: array<f32>;
struct Params { n: u32, stride: u32, C: u32, HW4: u32, chunks: u32, chunk4: u32 }
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * params.stride;
  if (t >= params.n) {
    return;
  }
  let plane = t / params.chunks;
  let k = t - plane * params.chunks;
  let base = plane * params.HW4;
  let start = k * params.chunk4;
  let end = min(start + params.chunk4, params.HW4);
  let shift = x[base + start].x;
  var s1 = vec4<f32>(0.0);
  var s2 = vec4<f32>(0.0);
  var i = start;
  for (; i + 2u <= end; i += 2u) {
    let d0 = x[base + i] - shift;
    let d1 = x[base + i + 1u] - shift;
    s1 += d0 + d1;
    s2 += d0 * d0 + d1 * d1;
  }
  if (i < end) {
    let d = x[base + i] - shift;
    s1 += d;
    s2 += d * d;
  }
  let count = f32(end - start) * 4.0;
  let sum1 = s1.x + s1.y + s1.z + s1.w;
  let sum2 = s2.x + s2.y + s2.z + s2.w;
  let q = t * 3u;
  partial[q] = count;
  partial[q + 1u] = shift + sum1 / count;
  partial[q + 2u] = max(sum2 - sum1 * sum1 / count, 0.0);
}
