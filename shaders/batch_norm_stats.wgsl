// Per-chunk statistics of an NCHW tensor for batch norm: invocation t = (n·C + c)·chunks + k sums chunk k
// of the plane x[n, c, :, :] shifted by its first value (so the squares do not cancel), and writes
// (count, mean, M2) of the chunk. batch_norm_finalize.wgsl merges the chunks of each channel.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> partial: array<f32>;
struct Params { n: u32, stride: u32, C: u32, HW: u32, chunks: u32, chunk: u32 }
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * params.stride;
  if (t >= params.n) {
    return;
  }
  let plane = t / params.chunks;
  let k = t - plane * params.chunks;
  let base = plane * params.HW;
  let start = k * params.chunk;
  let end = min(start + params.chunk, params.HW);
  let shift = x[base + start];
  var s1 = 0.0;
  var s2 = 0.0;
  for (var i = start; i < end; i++) {
    let d = x[base + i] - shift;
    s1 += d;
    s2 += d * d;
  }
  let count = f32(end - start);
  let q = t * 3u;
  partial[q] = count;
  partial[q + 1u] = shift + s1 / count;
  partial[q + 2u] = max(s2 - s1 * s1 / count, 0.0);
}
