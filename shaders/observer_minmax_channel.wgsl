// Per-channel min/max and the observer update of each channel: running min/max, or the moving average
// (the first batch, state at +inf/-inf, sets it). Channel c of a tensor viewed as [outer, channels, inner]
// holds outer * inner elements. No workgroup memory or barriers (costly on a software adapter):
//   MODE 0 (small channels, e.g. weights): one invocation per channel reduces it and updates the state;
//   MODE 1: one invocation per (row o·channels + c, chunk of `chunk` elements) writes a (min, max) partial;
//   MODE 2: one invocation per channel reduces its outer · chunks partials and updates the state.
override WG: u32 = 64u;
override MODE: u32 = 0u;
override AVERAGING: bool = false;

struct Params {
  outer: u32,
  channels: u32,
  inner: u32,
  chunks: u32,
  chunk: u32,
  stride: u32,
  zero: u32,
  c: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> partial: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> state_min: array<f32>;
@group(0) @binding(3) var<storage, read_write> state_max: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

fn keep(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) ^ params.zero);
}

fn average(old: f32, cur: f32) -> f32 {
  return old + keep(params.c * keep(cur - old));
}

fn update(ch: u32, cur_lo: f32, cur_hi: f32) {
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

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * params.stride;
  if (MODE == 1u) {
    if (t >= params.outer * params.channels * params.chunks) {
      return;
    }
    let row = t / params.chunks;
    let k = t - row * params.chunks;
    let base = row * params.inner;
    let start = k * params.chunk;
    let end = min(start + params.chunk, params.inner);
    var lo = x[base + start];
    var hi = lo;
    for (var i = start + 1u; i < end; i = i + 1u) {
      let v = x[base + i];
      lo = min(lo, v);
      hi = max(hi, v);
    }
    partial[t] = vec2<f32>(lo, hi);
    return;
  }
  let ch = t;
  if (ch >= params.channels) {
    return;
  }
  if (MODE == 2u) {
    let per_row = params.chunks;
    var lo = partial[ch * per_row].x;
    var hi = partial[ch * per_row].y;
    for (var o = 0u; o < params.outer; o = o + 1u) {
      let first = (o * params.channels + ch) * per_row;
      for (var k = 0u; k < per_row; k = k + 1u) {
        let p = partial[first + k];
        lo = min(lo, p.x);
        hi = max(hi, p.y);
      }
    }
    update(ch, lo, hi);
    return;
  }
  let first = ch * params.inner;
  var lo = x[first];
  var hi = lo;
  for (var o = 0u; o < params.outer; o = o + 1u) {
    let base = o * params.channels * params.inner + first;
    for (var i = 0u; i < params.inner; i = i + 1u) {
      let v = x[base + i];
      lo = min(lo, v);
      hi = max(hi, v);
    }
  }
  update(ch, lo, hi);
}
