// Device activation (NHWC channel-padded, int8/int16/int32) → float NCHW: y = f32(q − z) · scale[c].
// One invocation per output float.
override WG: u32 = 64u;
override X_BITS: u32 = 8u;

struct Params {
  total: u32,
  stride: u32,
  C: u32,
  H: u32,
  W: u32,
  CP: u32,
  ZP: i32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read> scale: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.stride;
  if (i >= p.total) {
    return;
  }
  let w = i % p.W;
  let h = (i / p.W) % p.H;
  let c = (i / (p.W * p.H)) % p.C;
  let n = i / (p.W * p.H * p.C);
  let e = ((n * p.H + h) * p.W + w) * p.CP + c;
  let per = lanes_per_word(X_BITS);
  let q = lane_of(x[e / per], X_BITS, e % per);
  y[i] = i32_to_f32_rne(q - p.ZP) * scale[c];
}
