// Fake quantize, forward (y) or straight-through backward (dx), per tensor or per channel, as PyTorch's
// CPU kernel: q = zp + nearbyint(x * inv_scale); y = (clamp(q) - zp) * scale; dx = dy * (qmin <= q <= qmax).
// qp[c] = (scale, 1/scale, zero_point, unused), 1/scale computed exactly on the GPU (fake_quant_pack).
//
// MAGIC (SwiftShader): nearbyint and the clamp by the magic number (magic_bits, fake_quant_math.wgsl,
// prepended). The bits are shifted by S = 2^23 - 1 (wrapping) so that +NaN, whose bits lie above +inf's,
// wraps below every bound, as do negative values and -NaN; +inf becomes the largest i32.
// NaN gives y = (qmin - zp) * scale and no gradient on both paths, as PyTorch
// (fmin(fmax(NaN, qmin), qmax) = qmin).
//
// Memory-bound on GPUs: vec4 loads, EPI vec4s per invocation, either as a contiguous run (RUNS, what a
// software adapter wants: its per-invocation cost is high, so runs are long, see kernels/fake_quantize.ts)
// or interleaved across invocations (coalesced, for GPUs). The loop has the copy kernel's shape (one exit,
// no `continue`): on SwiftShader a `continue` alone cost about 15 % of the copy's bandwidth.
// Buffers are padded to 16 bytes, so the last vec4 may carry padding lanes: they are computed and
// written into the output's padding, never read as data.
override WG: u32 = 64u;
override EPI: u32 = 4u;
override RUNS: bool = true;
// Runs: LANES consecutive invocations share a run of LANES·EPI vec4s, interleaved (neighbouring lanes load
// neighbouring vec4s).
override LANES: u32 = 1u;
override PER_CHANNEL: bool = false;
// Per channel with inner % 4 == 0: the four lanes of a vec4 share one channel.
override SAME_CHANNEL: bool = true;
override BACKWARD: bool = false;
// Backward of fake_quantize(relu(z)) in one pass: x is the ReLU's output, and its gradient mask
// (threshold_backward: x > 0) applies after the straight-through one, as the two separate kernels would.
override RELU_MASK: bool = false;
override MAGIC: bool = false;
const S = 8388607; // 2^23 - 1: bits + S wraps +NaN (bits above +inf's 0x7f800000) to negative

struct Params {
  n4: u32,
  stride: u32,
  threads: u32,
  inner: u32,
  channels: u32,
  qmin: f32,
  qmax: f32,
}

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> qp: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> params: Params;

fn channel_of(i: u32) -> u32 {
  return (i / params.inner) % params.channels;
}

// dx = dy where the quantized value was inside [qmin, qmax] (and, with RELU_MASK, where x > 0).
fn store_gradient(v: u32, xv: vec4<f32>, inside: vec4<bool>) {
  let g = dy[v] * select(vec4<f32>(0.0), vec4<f32>(1.0), inside);
  if (RELU_MASK) {
    out[v] = select(vec4<f32>(0.0), g, xv > vec4<f32>(0.0));
  } else {
    out[v] = g;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * params.stride;
  let lo = vec4<f32>(params.qmin);
  let hi = vec4<f32>(params.qmax);
  // Per tensor: the parameters are loaded once, outside the loop (loads cost more than arithmetic here).
  let p = qp[0];
  let scale_t = vec4<f32>(p.x);
  let inv_t = vec4<f32>(p.y);
  let zp_t = vec4<f32>(p.z);
  // MAGIC: the clamp bounds of nearbyint(x * inv) itself, qmin - zp and qmax - zp (|q - zp| < 2^17), + S.
  let lob_t = vec4<i32>(magic_bound(params.qmin - p.z) + S);
  let hib_t = vec4<i32>(magic_bound(params.qmax - p.z) + S);
  // Runs: first + j * LANES; interleaved: first + j * threads.
  let first = select(id, (id / LANES) * LANES * EPI + id % LANES, RUNS);
  let step = select(params.threads, LANES, RUNS);
  for (var j = 0u; j < EPI; j = j + 1u) {
    let v = first + j * step;
    if (v >= params.n4) {
      break;
    }
    var scale = scale_t;
    var inv = inv_t;
    var zp = zp_t;
    var lob = lob_t;
    var hib = hib_t;
    if (PER_CHANNEL && SAME_CHANNEL) {
      let pc = qp[channel_of(v * 4u)];
      scale = vec4<f32>(pc.x);
      inv = vec4<f32>(pc.y);
      zp = vec4<f32>(pc.z);
      if (MAGIC) {
        lob = vec4<i32>(magic_bound(params.qmin - pc.z) + S);
        hib = vec4<i32>(magic_bound(params.qmax - pc.z) + S);
      }
    } else if (PER_CHANNEL) {
      let p0 = qp[channel_of(v * 4u)];
      let p1 = qp[channel_of(v * 4u + 1u)];
      let p2 = qp[channel_of(v * 4u + 2u)];
      let p3 = qp[channel_of(v * 4u + 3u)];
      scale = vec4<f32>(p0.x, p1.x, p2.x, p3.x);
      inv = vec4<f32>(p0.y, p1.y, p2.y, p3.y);
      zp = vec4<f32>(p0.z, p1.z, p2.z, p3.z);
      if (MAGIC) {
        lob = magic_bits(lo - zp) + vec4<i32>(S);
        hib = magic_bits(hi - zp) + vec4<i32>(S);
      }
    }
    let xv = x[v];
    if (MAGIC) {
      let t = magic_bits(xv * inv) + vec4<i32>(S);
      if (BACKWARD) {
        store_gradient(v, xv, (lob <= t) & (t <= hib));
      } else {
        out[v] = magic_value(min(max(t, lob), hib) - vec4<i32>(S)) * scale;
      }
    } else {
      let q = zp + round(xv * inv);
      if (BACKWARD) {
        store_gradient(v, xv, (lo <= q) & (q <= hi));
      } else {
        // WGSL leaves clamp of a NaN to the implementation: NaN is qmin explicitly, as PyTorch.
        out[v] = (select(clamp(q, lo, hi), lo, q != q) - zp) * scale;
      }
    }
  }
}
