// HistogramObserver.forward (torch 1.13), step 1 of 3, one workgroup: reduce the batch's min/max
// partials, decide how the batch joins the histogram, and zero the bin counts.
//   mode 0 (first batch, or a state with min == max): the histogram restarts on the batch's range;
//   mode 1 (the combined range is the old one): counts add to the old histogram;
//   mode 2: the old histogram is resampled onto the combined range (_adjust_min_max, _combine_histograms).
// torch.histc is called with min=int(min), max=int(max) in 1.13: the range is truncated to integers.
override WG: u32 = 256u;

struct Params {
  groups: u32,
  bins: u32,
  upsample: u32,
  zero: u32,
}

struct HistParams {
  mode: u32,
  downsample: u32,
  start_idx: i32,
  unused: u32,
  left: f32,
  right: f32,
  cmin: f32,
  cmax: f32,
}

@group(0) @binding(0) var<storage, read> partial: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read> state_min: array<f32>;
@group(0) @binding(2) var<storage, read> state_max: array<f32>;
@group(0) @binding(3) var<storage, read_write> hp: HistParams;
@group(0) @binding(4) var<storage, read_write> counts: array<u32>;
@group(0) @binding(5) var<uniform> params: Params;

var<workgroup> lo_s: array<f32, WG>;
var<workgroup> hi_s: array<f32, WG>;

fn keep(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) ^ params.zero);
}

// torch.histc's range: equal ends take the data's min/max; still equal, widen by 1.
fn histc_range(lo_in: f32, hi_in: f32, xmin: f32, xmax: f32) -> vec2<f32> {
  var lo = lo_in;
  var hi = hi_in;
  if (lo == hi) {
    lo = xmin;
    hi = xmax;
  }
  if (lo == hi) {
    lo = lo - 1.0;
    hi = hi + 1.0;
  }
  return vec2<f32>(lo, hi);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  for (var b = lid.x; b < params.bins; b = b + WG) {
    counts[b] = 0u;
  }
  var lo = partial[0].x;
  var hi = partial[0].y;
  for (var i = lid.x; i < params.groups; i = i + WG) {
    lo = min(lo, partial[i].x);
    hi = max(hi, partial[i].y);
  }
  lo_s[lid.x] = lo;
  hi_s[lid.x] = hi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid.x < s) {
      lo_s[lid.x] = min(lo_s[lid.x], lo_s[lid.x + s]);
      hi_s[lid.x] = max(hi_s[lid.x], hi_s[lid.x + s]);
    }
    workgroupBarrier();
  }
  if (lid.x != 0u) {
    return;
  }
  let x_min = lo_s[0];
  let x_max = hi_s[0];
  let old_min = state_min[0];
  let old_max = state_max[0];
  if (is_unobserved(old_min, old_max) || old_min == old_max) {
    let range = histc_range(trunc(x_min), trunc(x_max), x_min, x_max);
    hp = HistParams(0u, 0u, 0, 0u, range.x, range.y, x_min, x_max);
    return;
  }
  let cmin = min(x_min, old_min);
  let cmax0 = max(x_max, old_max);
  let hist_bin_width = cr_div(old_max - old_min, f32(params.bins * params.upsample));
  let width = keep(f32(params.bins) * hist_bin_width);
  let span = cmax0 - cmin;
  let downsample = ceil(cr_div(span, width));
  let e = keep(downsample * width) - span;
  let start_idx = round(cr_div(old_min - cmin, hist_bin_width));
  let cmax = cmax0 + e;
  // bins * downsample float32 cells would not fit (PyTorch 1.13 would run out of memory; later versions
  // restart the histogram on the batch, as here).
  if (f32(params.bins) * downsample * 4.0 > 1e9) {
    let fresh = histc_range(trunc(x_min), trunc(x_max), x_min, x_max);
    hp = HistParams(0u, 0u, 0, 0u, fresh.x, fresh.y, x_min, x_max);
    return;
  }
  let range = histc_range(trunc(cmin), trunc(cmax), x_min, x_max);
  let same = cmin == old_min && cmax == old_max;
  hp = HistParams(select(2u, 1u, same), u32(downsample), i32(start_idx), 0u, range.x, range.y, cmin, cmax);
}
