// LSQ backward (PyTorch's _fake_quantize_learnable_per_{tensor,channel}_affine_backward), per element:
//   x_q = nearbyint(fma(x, 1/scale, zp))          (PyTorch's kernel is compiled with FMA contraction;
//                                                  exact_fma rounds once, as the hardware fma did)
//   dx  = dy * (qmin <= x_q <= qmax)
//   inside:  dscale = dy * fma(clamp(x_q) - zp, scale, -x) * (1/scale) * grad_factor,  dzp = 0
//   outside: dscale = dy * (qmin|qmax - zp) * grad_factor,  dzp = -dy * scale * grad_factor
// The grid is (chunks, channels): workgroup (k, c) takes chunk k of channel c's elements (a tensor seen as
// [outer, channels, inner]) and writes the sums of dscale and dzp over it to partial[c * chunks + k].
// qp[c] = (scale, 1/scale, zp_forward, zp_backward).
override WG: u32 = 256u;

struct Params {
  outer: u32,
  channels: u32,
  inner: u32,
  chunks: u32,
  chunk: u32,
  zero: u32,
  qmin: f32,
  qmax: f32,
  grad_factor: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> qp: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<storage, read_write> partial: array<vec2<f32>>;
@group(0) @binding(5) var<uniform> params: Params;

var<workgroup> ds_s: array<f32, WG>;
var<workgroup> dz_s: array<f32, WG>;

fn keep(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) ^ params.zero);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let k = wid.x;
  let ch = wid.y;
  let p = qp[ch];
  let s = p.x;
  let inv = p.y;
  let zp = p.w;
  let gf = params.grad_factor;
  let count = params.outer * params.inner;
  let begin = k * params.chunk;
  let end = min(begin + params.chunk, count);
  var ds = 0.0;
  var dz = 0.0;
  for (var j = begin + lid.x; j < end; j = j + WG) {
    let o = j / params.inner;
    let i = o * params.channels * params.inner + ch * params.inner + (j - o * params.inner);
    let xv = x[i];
    let g = dy[i];
    let xq = round(exact_fma(xv, inv, zp));
    let inside = params.qmin <= xq && xq <= params.qmax;
    dx[i] = g * select(0.0, 1.0, inside);
    if (inside) {
      let diff = exact_fma(clamp(xq, params.qmin, params.qmax) - zp, s, -xv);
      ds = ds + keep(keep(keep(g * diff) * inv) * gf);
    } else {
      let bound = select(params.qmax - zp, params.qmin - zp, xq < params.qmin);
      ds = ds + keep(keep(g * bound) * gf);
      dz = dz + keep(keep(keep(g * -1.0) * s) * gf);
    }
  }
  ds_s[lid.x] = ds;
  dz_s[lid.x] = dz;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h >> 1u) {
    if (lid.x < h) {
      ds_s[lid.x] = ds_s[lid.x] + ds_s[lid.x + h];
      dz_s[lid.x] = dz_s[lid.x] + dz_s[lid.x + h];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    partial[ch * params.chunks + k] = vec2<f32>(ds_s[0], dz_s[0]);
  }
}
