// Per-tensor min/max, pass 1: invocation t reduces a contiguous run of `chunk4` vec4s of x to one
// (min, max) partial. No workgroup memory or barriers: a software adapter pays dearly for them, and a
// run of vec4 loads is what it streams fastest. The last invocation also takes the 1-3 elements past the
// last whole vec4 (the buffer is padded to 16 bytes; lanes past n are left out).
override WG: u32 = 64u;

struct Params {
  n: u32,
  groups: u32,
  chunk4: u32,
  stride: u32,
}

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> partial: array<vec2<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * params.stride;
  if (t >= params.groups) {
    return;
  }
  let full = params.n / 4u;
  let start = t * params.chunk4;
  let end = min(start + params.chunk4, full);
  // x[0] belongs to the tensor, so it is a neutral start for every lane's min and max.
  var lo = vec4<f32>(x[0].x);
  var hi = lo;
  for (var i = start; i < end; i = i + 1u) {
    let v = x[i];
    lo = min(lo, v);
    hi = max(hi, v);
  }
  var l = min(min(lo.x, lo.y), min(lo.z, lo.w));
  var h = max(max(hi.x, hi.y), max(hi.z, hi.w));
  if (t == params.groups - 1u) {
    let v = x[full];
    for (var j = 0u; j < params.n - full * 4u; j = j + 1u) {
      l = min(l, v[j]);
      h = max(h, v[j]);
    }
  }
  partial[t] = vec2<f32>(l, h);
}
