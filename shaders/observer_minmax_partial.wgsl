// Per-tensor min/max, pass 1: each workgroup reduces a grid-strided share of x to one (min, max).
override WG: u32 = 256u;

struct Params {
  n: u32,
  groups: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> partial: array<vec2<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> lo_s: array<f32, WG>;
var<workgroup> hi_s: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let g = wid.x;
  // x[0] belongs to the tensor, so it is a neutral start for every thread's min and max.
  var lo = x[0];
  var hi = lo;
  for (var i = g * WG + lid.x; i < params.n; i = i + params.groups * WG) {
    let v = x[i];
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
    partial[g] = vec2<f32>(lo_s[0], hi_s[0]);
  }
}
