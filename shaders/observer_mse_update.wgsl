// MSEObserver, step 3 (a thread per channel): the candidate with the least error (the most clipped one on
// ties, Horizon's "last argmin"), then the observer state: set on the first batch, else the moving
// average min += c * (batch_min - min).
struct Params {
  channels: u32,
  candidates: u32,
  chunks: u32,
  zero: u32,
  c: f32,
}

@group(0) @binding(0) var<storage, read> partial: array<f32>;
@group(0) @binding(1) var<storage, read> cand: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> state_min: array<f32>;
@group(0) @binding(3) var<storage, read_write> state_max: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

fn keep(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) ^ params.zero);
}

fn average(old: f32, cur: f32) -> f32 {
  return old + keep(params.c * keep(cur - old));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let ch = gid.x;
  if (ch >= params.channels) {
    return;
  }
  var best = 0u;
  var best_err = 0.0;
  for (var k = 0u; k < params.candidates; k = k + 1u) {
    var err = 0.0;
    for (var j = 0u; j < params.chunks; j = j + 1u) {
      err = err + partial[(ch * params.candidates + k) * params.chunks + j];
    }
    if (k == 0u || err <= best_err) {
      best = k;
      best_err = err;
    }
  }
  let p = cand[ch * params.candidates + best];
  let old_lo = state_min[ch];
  let old_hi = state_max[ch];
  if (is_unobserved(old_lo, old_hi)) {
    state_min[ch] = p.z;
    state_max[ch] = p.w;
  } else {
    state_min[ch] = average(old_lo, p.z);
    state_max[ch] = average(old_hi, p.w);
  }
}
