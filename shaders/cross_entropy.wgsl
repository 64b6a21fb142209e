// Cross-entropy per row of logits [N, C] against int32 class indices: loss[n] = logsumexp(x[n]) -
// x[n, t], and probs[n] = softmax(x[n]) (kept for the backward). correct[n] is 1 when the first largest
// logit is the target (training accuracy without a readback).
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> probs: array<f32>;
@group(0) @binding(3) var<storage, read_write> rows: array<f32>;
struct Params { N: u32, stride: u32, C: u32 }
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x + gid.y * params.stride;
  if (n >= params.N) {
    return;
  }
  let base = n * params.C;
  var m = logits[base];
  var best = 0u;
  for (var c = 1u; c < params.C; c++) {
    let v = logits[base + c];
    best = select(best, c, v > m);
    m = max(m, v);
  }
  var s = 0.0;
  for (var c = 0u; c < params.C; c++) {
    s += exp(logits[base + c] - m);
  }
  let inv = 1.0 / s;
  for (var c = 0u; c < params.C; c++) {
    probs[base + c] = exp(logits[base + c] - m) * inv;
  }
  let t = u32(clamp(labels[n], 0, i32(params.C) - 1));
  rows[n] = m + log(s) - logits[base + t];
  rows[params.N + n] = select(0.0, 1.0, best == t);
}
