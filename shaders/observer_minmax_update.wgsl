// Per-tensor min/max, pass 2 (one workgroup): reduce the partials and update the observer state:
//   running:        min = min(min, batch_min)
//   moving average: min = min + c * (batch_min - min), or batch_min on the first batch
// Each float32 op rounds on its own, as PyTorch's separate tensor ops: `keep` hides the product from the
// compiler so it cannot fuse it into an fma.
override WG: u32 = 64u;
override AVERAGING: bool = false;

struct Params {
  groups: u32,
  zero: u32,
  c: f32,
}

@group(0) @binding(0) var<storage, read> partial: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> state_min: array<f32>;
@group(0) @binding(2) var<storage, read_write> state_max: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> lo_s: array<f32, WG>;
var<workgroup> hi_s: array<f32, WG>;

fn keep(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) ^ params.zero);
}

fn average(old: f32, cur: f32) -> f32 {
  return old + keep(params.c * keep(cur - old));
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
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
  if (lid.x == 0u) {
    let cur_lo = lo_s[0];
    let cur_hi = hi_s[0];
    let old_lo = state_min[0];
    let old_hi = state_max[0];
    if (!AVERAGING) {
      state_min[0] = min(old_lo, cur_lo);
      state_max[0] = max(old_hi, cur_hi);
    } else if (is_unobserved(old_lo, old_hi)) {
      state_min[0] = cur_lo;
      state_max[0] = cur_hi;
    } else {
      state_min[0] = average(old_lo, cur_lo);
      state_max[0] = average(old_hi, cur_hi);
    }
  }
}
