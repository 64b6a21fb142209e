// One Adam / AdamW step of one parameter, as torch.optim.Adam and AdamW compute it (amsgrad optional),
// on vec4s (the padding past the parameter's end is updated too, harmlessly):
//   AdamW: p = p · (1 - lr · weight_decay);   Adam: g = grad + weight_decay · p
//   m = β1 · m + (1 - β1) · g;   v = β2 · v + (1 - β2) · g²   (amsgrad: vmax = max(vmax, v), used for v)
//   p = p - (lr / (1 - β1^t)) · m / (sqrt(v) / sqrt(1 - β2^t) + eps)
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> expAvg: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> expAvgSq: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> maxExpAvgSq: array<vec4<f32>>;
struct Params {
  n4: u32,
  stride: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weightDecay: f32,
  decoupled: u32,
  amsgrad: u32,
  stepSize: f32,
  biasCorrection2Sqrt: f32,
}
@group(0) @binding(5) var<uniform> params: Params;

fn element(i: u32) {
  var p = param[i];
  var g = grad[i];
  if (params.decoupled != 0u) {
    p = p * (1.0 - params.lr * params.weightDecay);
  } else {
    g = g + params.weightDecay * p;
  }
  let m = params.beta1 * expAvg[i] + (1.0 - params.beta1) * g;
  var v = params.beta2 * expAvgSq[i] + (1.0 - params.beta2) * g * g;
  expAvg[i] = m;
  expAvgSq[i] = v;
  if (params.amsgrad != 0u) {
    v = max(maxExpAvgSq[i], v);
    maxExpAvgSq[i] = v;
  }
  let denom = sqrt(v) / params.biasCorrection2Sqrt + params.eps;
  param[i] = p - params.stepSize * m / denom;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = (gid.x + gid.y * params.stride) * 4u;
  for (var k = i; k < min(i + 4u, params.n4); k++) {
    element(k);
  }
}
