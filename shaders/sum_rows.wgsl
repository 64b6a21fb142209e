// out[r * splits + s] = sum of x[r, s*chunk .. min((s+1)*chunk, len)) for a row-major [rows, len] input.
// With splits = 1 this is the full row sum; with more, a second pass sums the partials.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
struct Params { n: u32, stride: u32, len: u32, splits: u32, chunk: u32, scale: f32 }
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * params.stride;
  if (i >= params.n) {
    return;
  }
  let row = i / params.splits;
  let s = i % params.splits;
  let start = s * params.chunk;
  let end = min(start + params.chunk, params.len);
  let base = row * params.len;
  // Four partial sums: shorter dependency chains, and pairwise-ish rounding on long rows.
  var acc = vec4<f32>(0.0);
  var k = start;
  for (; k + 4u <= end; k += 4u) {
    acc += vec4<f32>(x[base + k], x[base + k + 1u], x[base + k + 2u], x[base + k + 3u]);
  }
  for (; k < end; k++) {
    acc.x += x[base + k];
  }
  out[i] = (acc.x + acc.y + acc.z + acc.w) * params.scale;
}
