// Plain vec4 copy: the memory-bound reference the benchmarks compare other kernels against.
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
struct Params { n4: u32, stride: u32 }
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * params.stride;
  if (i < params.n4) {
    dst[i] = src[i];
  }
}
