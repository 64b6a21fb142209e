// HistogramObserver._non_linear_param_search (torch 1.13), one workgroup: move the start or end bin
// inward by quantiles (steps of 1e-5 of the total), score each new [start, end] by the L2 error of
// quantizing the histogram to dst_nbins levels (_compute_quantization_error, summed over the workgroup),
// stop when the error grows. Writes new_min / new_max for the qparams kernel.
// Every thread runs the (cheap) bin search itself, so control flow stays uniform; only the error sums
// are shared. Stretches where no bin changes are jumped over. The expensive helpers are each called
// from one place (loops over their arguments): SwiftShader inlines every call.
override WG: u32 = 256u;

struct Params {
  bins: u32,
  dst_nbins: u32,
  zero: u32,
}

@group(0) @binding(0) var<storage, read> hist: array<f32>;
@group(0) @binding(1) var<storage, read> csum: array<f32>;
@group(0) @binding(2) var<storage, read> state_min: array<f32>;
@group(0) @binding(3) var<storage, read> state_max: array<f32>;
@group(0) @binding(4) var<storage, read_write> new_min: array<f32>;
@group(0) @binding(5) var<storage, read_write> new_max: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

var<workgroup> red: array<f32, WG>;

const STEPS: i32 = 100000;

fn keep(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) ^ params.zero);
}

fn cube(v: f32) -> f32 {
  return keep(keep(v * v) * v);
}

// float32(alpha * total) with alpha = k * 1e-5 (low), or float32(beta * total) with beta = 1 - k * 1e-5
// (high), alpha and beta in double precision as Python has them: a float32 tensor compared with a
// Python float compares in float32.
fn quantile_bound(k: i32, total: f32, high: bool) -> f32 {
  // 1e-5 = 9.999999747378752e-6 + 2.5262124e-13
  var a = ds_add(two_prod(f32(k), 9.999999747378752e-6), vec2<f32>(f32(k) * 2.5262124e-13, 0.0));
  if (high) {
    a = ds_add(vec2<f32>(1.0, 0.0), vec2<f32>(-a.x, -a.y));
  }
  return ds_add(two_prod(a.x, total), two_prod(a.y, total)).x;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let bins = i32(params.bins);
  let lo = state_min[0];
  let hi = state_max[0];
  if (is_unobserved(lo, hi)) {
    if (lid.x == 0u) {
      new_min[0] = lo;
      new_max[0] = hi;
    }
    return;
  }
  // Python's bin_width = (max.item() - min.item()) / bins in float64 (then float32 where a tensor uses it).
  let width_ds = two_sum(hi, -lo);
  let q1 = cr_div(width_ds.x, f32(bins));
  let back = two_prod(q1, f32(bins));
  let rest = ds_add(width_ds, vec2<f32>(-back.x, -back.y));
  let bw_ds = two_sum(q1, (rest.x + rest.y) / f32(bins));
  let bw = bw_ds.x;
  let last = f32(params.dst_nbins - 1u);
  let total = csum[bins];
  var start = 0;
  var end = bins - 1;
  var ka = 0;
  var kb = 0;
  var norm_min = 0.0;
  var have_norm = false;
  loop {
    if (ka + kb >= STEPS || total <= 0.0) {
      break;
    }
    var bounds: array<f32, 2>;
    for (var t = 0; t < 2; t = t + 1) {
      bounds[t] = quantile_bound(select(ka, kb, t == 1) + 1, total, t == 1);
    }
    var l = start;
    var r = end;
    while (l < end && csum[l] < bounds[0]) {
      l = l + 1;
    }
    while (r > start && csum[r] > bounds[1]) {
      r = r - 1;
    }
    if (l == start && r == end) {
      // Only beta moves until csum[end] exceeds its bound; jump to a few steps before that.
      let est = i32(floor((1.0 - csum[end] / total) * 100000.0)) - 3;
      kb = max(kb + 1, est);
      continue;
    }
    var next_start = start;
    var next_end = end;
    if (l - start > end - r) {
      next_start = l;
      ka = ka + 1;
    } else {
      next_end = r;
      kb = kb + 1;
    }
    // _compute_quantization_error(next_start, next_end); dst_bin_width in double, used as float32.
    let n = f32(next_end - next_start + 1);
    let dbw_p = two_prod(bw_ds.x, n);
    let dbw = cr_div(dbw_p.x + (dbw_p.y + bw_ds.y * n), f32(params.dst_nbins));
    let half = dbw * 0.5;
    var acc = 0.0;
    // A zero-width destination bin scores 0, as PyTorch returns early.
    for (var i = i32(lid.x); i < bins && dbw != 0.0; i = i + i32(WG)) {
      let src_begin = keep(f32(i - next_start) * bw);
      let src_end = src_begin + bw;
      var dst: array<f32, 2>;
      for (var t = 0; t < 2; t = t + 1) {
        dst[t] = clamp(exact_floor_div(select(src_begin, src_end, t == 1), dbw), 0.0, last);
      }
      let dst_begin_center = keep(keep(dst[0] + 0.5) * dbw);
      let dst_end_center = keep(dst[1] * dbw) + half;
      // (end^3 - begin^3) / 3 for the three pieces, then hist / bin_width: four exact divisions.
      var num: array<f32, 4>;
      num[0] = cube(half) - cube(src_begin - dst_begin_center);
      num[1] = cube(half) - cube(-half);
      num[2] = cube(src_end - dst_end_center) - cube(-half);
      num[3] = hist[i];
      var q: array<f32, 4>;
      for (var t = 0; t < 4; t = t + 1) {
        q[t] = cr_div(num[t], select(3.0, bw, t == 3));
      }
      let density = q[3];
      var norm = keep(q[0] * density);
      norm = norm + keep((dst[1] - dst[0] - 1.0) * keep(q[1] * density));
      norm = norm + keep(q[2] * density);
      acc = acc + norm;
    }
    red[lid.x] = acc;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
      if (lid.x < s) {
        red[lid.x] = red[lid.x] + red[lid.x + s];
      }
      workgroupBarrier();
    }
    let norm = workgroupUniformLoad(&red[0]);
    workgroupBarrier();
    if (have_norm && norm > norm_min) {
      break;
    }
    have_norm = true;
    norm_min = norm;
    start = next_start;
    end = next_end;
  }
  if (lid.x == 0u) {
    let bin_width = cr_div(hi - lo, f32(bins));
    new_min[0] = lo + keep(bin_width * f32(start));
    new_max[0] = lo + keep(bin_width * f32(end + 1));
  }
}
