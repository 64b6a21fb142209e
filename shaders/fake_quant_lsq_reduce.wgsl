// LSQ backward, pass 2: dscale[c] and dzero_point[c] as the sums of channel c's chunk partials.
struct Params {
  channels: u32,
  chunks: u32,
}

@group(0) @binding(0) var<storage, read> partial: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> dscale: array<f32>;
@group(0) @binding(2) var<storage, read_write> dzp: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= params.channels) {
    return;
  }
  var sum = vec2<f32>(0.0, 0.0);
  for (var k = 0u; k < params.chunks; k = k + 1u) {
    sum = sum + partial[c * params.chunks + k];
  }
  dscale[c] = sum.x;
  dzp[c] = sum.y;
}
