// Per-channel min/max (one workgroup per channel) and the observer update of that channel:
// running min/max, or the moving average (the first batch, state at +inf/-inf, sets it).
// Channel c of a tensor viewed as [outer, channels, inner] holds outer * inner elements.
override WG: u32 = 256u;
override AVERAGING: bool = false;

struct Params {
  outer: u32,
  channels: u32,
  inner: u32,
  zero: u32,
  c: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
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
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let ch = wid.x + wid.y * 65535u;
  if (ch >= params.channels) {
    return;
  }
  let count = params.outer * params.inner;
  let first = ch * params.inner;
  var lo = x[first];
  var hi = lo;
  for (var j = lid.x; j < count; j = j + WG) {
    let o = j / params.inner;
    let v = x[o * params.channels * params.inner + first + (j - o * params.inner)];
    lo = min(lo, v);
    hi = max(hi, v);
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
    let old_lo = state_min[ch];
    let old_hi = state_max[ch];
    if (!AVERAGING) {
      state_min[ch] = min(old_lo, cur_lo);
      state_max[ch] = max(old_hi, cur_hi);
    } else if (is_unobserved(old_lo, old_hi)) {
      state_min[ch] = cur_lo;
      state_max[ch] = cur_hi;
    } else {
      state_min[ch] = average(old_lo, cur_lo);
      state_max[ch] = average(old_hi, cur_hi);
    }
  }
}
