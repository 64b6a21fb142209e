// One SGD step of one parameter, as torch.optim.SGD computes it, on vec4s (the padding past the
// parameter's end is updated too, harmlessly):
//   g = grad + weight_decay · p
//   buf = g on the first step, else momentum · buf + (1 - dampening) · g      (when momentum ≠ 0)
//   g = g + momentum · buf (nesterov), or g = buf
//   p = p - lr · g
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> momentumBuffer: array<vec4<f32>>;
struct Params {
  n4: u32,
  stride: u32,
  lr: f32,
  momentum: f32,
  dampening: f32,
  weightDecay: f32,
  nesterov: u32,
  first: u32,
}
@group(0) @binding(3) var<uniform> params: Params;

fn update(i: u32) {
  let p = param[i];
  var g = grad[i] + params.weightDecay * p;
  if (params.momentum != 0.0) {
    var buf = g;
    if (params.first == 0u) {
      buf = params.momentum * momentumBuffer[i] + (1.0 - params.dampening) * g;
    }
    momentumBuffer[i] = buf;
    g = select(buf, g + params.momentum * buf, params.nesterov != 0u);
  }
  param[i] = p - params.lr * g;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = (gid.x + gid.y * params.stride) * 4u;
  for (var k = i; k < min(i + 4u, params.n4); k++) {
    update(k);
  }
}
