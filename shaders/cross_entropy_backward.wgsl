// Cross-entropy's logits gradient for the mean reduction: (probs - onehot(target)) · gy / N, where gy is
// the (one-element) gradient of the loss, read on the GPU.
override WG: u32 = 64u;
// Elements per invocation (SwiftShader pays a fixed cost per invocation).
override EPI: u32 = 16u;

@group(0) @binding(0) var<storage, read> probs: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
struct Params { n: u32, stride: u32, C: u32, invN: f32 }
@group(0) @binding(4) var<uniform> params: Params;

fn element(i: u32) {
  let row = i / params.C;
  let c = i - row * params.C;
  let onehot = select(0.0, 1.0, i32(c) == labels[row]);
  dx[i] = (probs[i] - onehot) * gy[0] * params.invN;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let first = (gid.x + gid.y * params.stride) * EPI;
  let last = min(first + EPI, params.n);
  for (var i = first; i < last; i++) {
    element(i);
  }
}
