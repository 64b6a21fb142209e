// Fills a float32 buffer with one value (no host round trip, so it stays in order with other work);
// four vec4s per invocation.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read_write> y: array<vec4<f32>>;
struct Params { n4: u32, stride: u32, value: f32, _pad: u32 }
@group(0) @binding(1) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = (gid.x + gid.y * params.stride) * 4u;
  let v = vec4<f32>(params.value);
  for (var k = i; k < min(i + 4u, params.n4); k++) {
    y[k] = v;
  }
}
