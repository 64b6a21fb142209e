// PercentileObserver, step 3 (one thread): the first bin whose cumulative count reaches
// percentile * numel (torch.searchsorted), clip = (bin + 0.5) * max|x| / bins, the batch's range clipped
// to [-clip, clip], then the observer state: set on the first batch, else the moving average.
struct Params {
  bins: u32,
  zero: u32,
  target_count: f32,
  c: f32,
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

@group(0) @binding(0) var<storage, read> counts: array<u32>;
@group(0) @binding(1) var<storage, read> hp: HistParams;
@group(0) @binding(2) var<storage, read> cur_min: array<f32>;
@group(0) @binding(3) var<storage, read> cur_max: array<f32>;
@group(0) @binding(4) var<storage, read_write> state_min: array<f32>;
@group(0) @binding(5) var<storage, read_write> state_max: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

fn keep(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) ^ params.zero);
}

fn average(old: f32, cur: f32) -> f32 {
  return old + keep(params.c * keep(cur - old));
}

@compute @workgroup_size(1)
fn main() {
  var cum = 0u;
  var i = 0u;
  for (; i < params.bins; i = i + 1u) {
    cum = cum + counts[i];
    if (f32(cum) >= params.target_count) {
      break;
    }
  }
  let range = hp.cmax;
  let clip = keep((f32(i) + 0.5) * cr_div(range, f32(params.bins)));
  let lo = max(cur_min[0], -clip);
  let hi = min(cur_max[0], clip);
  let old_lo = state_min[0];
  let old_hi = state_max[0];
  if (is_unobserved(old_lo, old_hi)) {
    state_min[0] = lo;
    state_max[0] = hi;
  } else {
    state_min[0] = average(old_lo, lo);
    state_max[0] = average(old_hi, hi);
  }
}
