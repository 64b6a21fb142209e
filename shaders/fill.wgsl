// Fills a float32 buffer with one value (no host round trip, so it stays in order with other work).
override WG: u32 = 64u;
// Elements per invocation: SwiftShader pays a fixed cost per invocation, so each one does a run.
override EPI: u32 = 16u;

@group(0) @binding(0) var<storage, read_write> y: array<f32>;
struct Params { n: u32, stride: u32, value: f32, _pad: u32 }
@group(0) @binding(1) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let first = (gid.x + gid.y * params.stride) * EPI;
  let last = min(first + EPI, params.n);
  for (var i = first; i < last; i++) {
    y[i] = params.value;
  }
}
