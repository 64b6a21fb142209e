// scale / zero_point per channel from min_val / max_val, as PyTorch's _calculate_qparams in float32:
//   symmetric: scale = max(-min(min,0), max(max,0)) / ((qmax - qmin) / 2), zp = sym_zp (128 for quint8)
//   affine:    scale = (max(max,0) - min(min,0)) / (qmax - qmin), zp = clamp(qmin - round(min_neg / scale))
//   scale = max(scale, eps); an unobserved state (min = +inf, max = -inf) gives scale 1, zp 0.
// Also writes the packed (scale, 1/scale, zp, zp) the fake-quant kernel reads, when WRITE_PACKED.
override SYMMETRIC: bool = false;
override WRITE_PACKED: bool = false;

struct Params {
  channels: u32,
  sym_zp: i32,
  qmin: f32,
  qmax: f32,
  divisor: f32,
  eps: f32,
}

@group(0) @binding(0) var<storage, read> min_val: array<f32>;
@group(0) @binding(1) var<storage, read> max_val: array<f32>;
@group(0) @binding(2) var<storage, read_write> scale_out: array<f32>;
@group(0) @binding(3) var<storage, read_write> zp_out: array<i32>;
@group(0) @binding(4) var<storage, read_write> qp: array<vec4<f32>>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= params.channels) {
    return;
  }
  let lo = min_val[c];
  let hi = max_val[c];
  var s = 1.0;
  var z = 0;
  if (!is_unobserved(lo, hi)) {
    let min_neg = min(lo, 0.0);
    let max_pos = max(hi, 0.0);
    if (SYMMETRIC) {
      s = max(cr_div(max(-min_neg, max_pos), params.divisor), params.eps);
      z = params.sym_zp;
    } else {
      s = max(cr_div(max_pos - min_neg, params.divisor), params.eps);
      let zf = clamp(params.qmin - round(cr_div(min_neg, s)), params.qmin, params.qmax);
      z = i32(zf);
    }
  }
  scale_out[c] = s;
  zp_out[c] = z;
  if (WRITE_PACKED) {
    let zf = f32(z);
    qp[c] = vec4<f32>(s, cr_div(1.0, s), zf, zf);
  }
}
