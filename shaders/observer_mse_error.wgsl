// MSEObserver, step 2: squared L2 error of symmetric fake quantization (zero point 0) for 8 candidates at
// once (two vec4 lanes of candidates), without workgroup memory or barriers (costly on software adapters).
// Invocation (run r, candidate group g, channel c) walks a contiguous run of RUN of channel c's elements
// (a tensor seen as [outer, channels, inner]) and writes partial[r * CK + c * K + k] for its candidates k;
// a second pass (sum_splits) adds the runs.
override WG: u32 = 64u;
override RUN: u32 = 256u;
// SwiftShader: nearbyint and the clamp by the magic number (magic_bits, fake_quant_math.wgsl, prepended),
// the same integers as round()/clamp() with a fraction of the operations.
override MAGIC: bool = false;

struct Params {
  n: u32,
  stride: u32,
  outer: u32,
  channels: u32,
  inner: u32,
  runs: u32,
  candidates: u32,
  groups: u32,
  qmin: f32,
  qmax: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> cand: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * params.stride;
  if (t >= params.n) {
    return;
  }
  let r = t % params.runs;
  let g = (t / params.runs) % params.groups;
  let ch = t / (params.runs * params.groups);
  let K = params.candidates;
  let first = ch * K + g * 8u;
  let last = ch * K + K - 1u;
  // Lanes past the last candidate repeat it; their sums are not written.
  let c0 = cand[min(first, last)];
  let c1 = cand[min(first + 1u, last)];
  let c2 = cand[min(first + 2u, last)];
  let c3 = cand[min(first + 3u, last)];
  let c4 = cand[min(first + 4u, last)];
  let c5 = cand[min(first + 5u, last)];
  let c6 = cand[min(first + 6u, last)];
  let c7 = cand[min(first + 7u, last)];
  let scale_a = vec4<f32>(c0.x, c1.x, c2.x, c3.x);
  let inv_a = vec4<f32>(c0.y, c1.y, c2.y, c3.y);
  let scale_b = vec4<f32>(c4.x, c5.x, c6.x, c7.x);
  let inv_b = vec4<f32>(c4.y, c5.y, c6.y, c7.y);
  let lo = vec4<f32>(params.qmin);
  let hi = vec4<f32>(params.qmax);
  let lob = vec4<i32>(magic_bound(params.qmin));
  let hib = vec4<i32>(magic_bound(params.qmax));
  var acc_a = vec4<f32>(0.0);
  var acc_b = vec4<f32>(0.0);

  let count = params.outer * params.inner;
  let begin = r * RUN;
  let end = min(begin + RUN, count);
  // Element j of the channel is x[o * channels * inner + ch * inner + i] with j = o * inner + i.
  var o = begin / params.inner;
  var i = begin - o * params.inner;
  var at = (o * params.channels + ch) * params.inner + i;
  let jump = (params.channels - 1u) * params.inner;
  for (var j = begin; j < end; j++) {
    let v = vec4<f32>(x[at]);
    var da: vec4<f32>;
    var db: vec4<f32>;
    if (MAGIC) {
      da = magic_value(min(max(magic_bits(v * inv_a), lob), hib)) * scale_a - v;
      db = magic_value(min(max(magic_bits(v * inv_b), lob), hib)) * scale_b - v;
    } else {
      da = clamp(round(v * inv_a), lo, hi) * scale_a - v;
      db = clamp(round(v * inv_b), lo, hi) * scale_b - v;
    }
    acc_a += da * da;
    acc_b += db * db;
    at++;
    i++;
    if (i == params.inner) {
      i = 0u;
      at += jump;
    }
  }
  let base = r * params.channels * K + ch * K + g * 8u;
  let valid = K - g * 8u;
  for (var k = 0u; k < 4u; k++) {
    if (k < valid) {
      partial[base + k] = acc_a[k];
    }
    if (k + 4u < valid) {
      partial[base + k + 4u] = acc_b[k];
    }
  }
}
