// a[i] = op(a[i], b[i]) in place (gradient accumulation). `op` is prepended from the table in
// src/engine/kernels/elementwise.ts.
override WG: u32 = 64u;
// Elements per invocation: SwiftShader pays a fixed cost per invocation, so each one does a run.
override EPI: u32 = 16u;

@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
struct Params { n: u32, stride: u32, alpha: f32, beta: f32 }
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let first = (gid.x + gid.y * params.stride) * EPI;
  let last = min(first + EPI, params.n);
  for (var i = first; i < last; i++) {
    a[i] = op(a[i], b[i], params.alpha, params.beta);
  }
}
