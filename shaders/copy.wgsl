// Plain vec4 copy: the memory-bound reference the benchmarks compare other kernels against. Launched as
// the elementwise kernels are on this adapter (src/engine/kernels/copy.ts): on GPUs an invocation per vec4;
// on software adapters runs of EPI vec4s, LANES invocations interleaved inside a run (as fake_quant.wgsl).
override WG: u32 = 256u;
override EPI: u32 = 1u;
override LANES: u32 = 1u;

@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
struct Params { n4: u32, stride: u32 }
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * params.stride;
  let first = (id / LANES) * LANES * EPI + id % LANES;
  for (var j = 0u; j < EPI; j++) {
    let i = first + j * LANES;
    if (i >= params.n4) {
      break;
    }
    dst[i] = src[i];
  }
}
