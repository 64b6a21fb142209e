// MSEObserver, step 1: the candidate ranges per channel, (min, max) * factor[k] with factor[k] =
// float32(1 - i_k / 100), and their symmetric fake-quant parameters:
// cand[c * K + k] = (scale, 1/scale, min_k, max_k), scale = max(max(-min_k, max_k, 0) / ((qmax - qmin) / 2), eps).
struct Params {
  channels: u32,
  candidates: u32,
  divisor: f32,
  eps: f32,
}

@group(0) @binding(0) var<storage, read> cur_min: array<f32>;
@group(0) @binding(1) var<storage, read> cur_max: array<f32>;
@group(0) @binding(2) var<storage, read> factors: array<f32>;
@group(0) @binding(3) var<storage, read_write> cand: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= params.channels * params.candidates) {
    return;
  }
  let c = t / params.candidates;
  let k = t - c * params.candidates;
  let lo = cur_min[c] * factors[k];
  let hi = cur_max[c] * factors[k];
  let s = max(cr_div(max(max(-lo, hi), 0.0), params.divisor), params.eps);
  cand[t] = vec4<f32>(s, cr_div(1.0, s), lo, hi);
}
