// Packs per-channel fake-quant parameters: qp[c] = (scale, 1/scale, zp_forward, zp_backward).
// MODE 0: from an observer's scale (f32) and zero_point (i32): both zero points are that integer.
// MODE 1: from LSQ's float parameters: zp_forward = clamp(nearbyint(zp)), zp_backward = clamp(zp + 0.5)
//         truncated (per tensor, PyTorch's _get_zero_point_from_tensor) or the forward one (per channel).
override MODE: u32 = 0u;

struct Params {
  channels: u32,
  per_channel: u32,
  qmin: f32,
  qmax: f32,
}

@group(0) @binding(0) var<storage, read> scale: array<f32>;
@group(0) @binding(1) var<storage, read> zp_int: array<i32>;
@group(0) @binding(2) var<storage, read> zp_float: array<f32>;
@group(0) @binding(3) var<storage, read_write> qp: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= params.channels) {
    return;
  }
  let s = scale[c];
  let inv = cr_div(1.0, s);
  if (MODE == 0u) {
    let z = f32(zp_int[c]);
    qp[c] = vec4<f32>(s, inv, z, z);
  } else {
    let zf = zp_float[c];
    let forward_zp = clamp(round(zf), params.qmin, params.qmax);
    var backward_zp = forward_zp;
    if (params.per_channel == 0u) {
      backward_zp = trunc(clamp(zf + 0.5, params.qmin, params.qmax));
    }
    qp[c] = vec4<f32>(s, inv, forward_zp, backward_zp);
  }
}
