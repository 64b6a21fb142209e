// Fake quantize, forward (y) or straight-through backward (dx), per tensor or per channel, as PyTorch's
// CPU kernel: q = zp + nearbyint(x * inv_scale); y = (clamp(q) - zp) * scale; dx = dy * (qmin <= q <= qmax).
// qp[c] = (scale, 1/scale, zero_point, unused), 1/scale computed exactly on the GPU (fake_quant_pack).
override WG: u32 = 256u;
override PER_CHANNEL: bool = false;
override BACKWARD: bool = false;

struct Params {
  n: u32,
  stride: u32,
  inner: u32,
  channels: u32,
  qmin: f32,
  qmax: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> qp: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * params.stride;
  if (i >= params.n) {
    return;
  }
  var c = 0u;
  if (PER_CHANNEL) {
    c = (i / params.inner) % params.channels;
  }
  let p = qp[c];
  let q = p.z + round(x[i] * p.y);
  if (BACKWARD) {
    let inside = params.qmin <= q && q <= params.qmax;
    out[i] = dy[i] * select(0.0, 1.0, inside);
  } else {
    out[i] = (clamp(q, params.qmin, params.qmax) - p.z) * p.x;
  }
}
