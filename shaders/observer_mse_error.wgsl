// MSEObserver, step 2: squared L2 error of symmetric fake quantization (zero point 0) for GROUP
// candidates at once. Grid (chunks, candidate groups, channels): workgroup (k, g, c) sums over chunk k
// of channel c's elements (a tensor seen as [outer, channels, inner]) into
// partial[(c * K + candidate) * chunks + k].
override WG: u32 = 64u;
const GROUP: u32 = 8u;

struct Params {
  outer: u32,
  channels: u32,
  inner: u32,
  chunks: u32,
  chunk: u32,
  candidates: u32,
  qmin: f32,
  qmax: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> cand: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> red: array<f32, WG * GROUP>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let k = wid.x;
  let first = wid.y * GROUP;
  let ch = wid.z;
  var scale: array<f32, GROUP>;
  var inv: array<f32, GROUP>;
  var acc: array<f32, GROUP>;
  for (var t = 0u; t < GROUP; t = t + 1u) {
    let p = cand[ch * params.candidates + min(first + t, params.candidates - 1u)];
    scale[t] = p.x;
    inv[t] = p.y;
    acc[t] = 0.0;
  }
  let count = params.outer * params.inner;
  let begin = k * params.chunk;
  let end = min(begin + params.chunk, count);
  for (var j = begin + lid.x; j < end; j = j + WG) {
    let o = j / params.inner;
    let v = x[o * params.channels * params.inner + ch * params.inner + (j - o * params.inner)];
    for (var t = 0u; t < GROUP; t = t + 1u) {
      let y = clamp(round(v * inv[t]), params.qmin, params.qmax) * scale[t];
      let d = y - v;
      acc[t] = acc[t] + d * d;
    }
  }
  for (var t = 0u; t < GROUP; t = t + 1u) {
    red[t * WG + lid.x] = acc[t];
  }
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid.x < s) {
      for (var t = 0u; t < GROUP; t = t + 1u) {
        red[t * WG + lid.x] = red[t * WG + lid.x] + red[t * WG + lid.x + s];
      }
    }
    workgroupBarrier();
  }
  if (lid.x < GROUP && first + lid.x < params.candidates) {
    partial[(ch * params.candidates + first + lid.x) * params.chunks + k] = red[lid.x * WG];
  }
}
