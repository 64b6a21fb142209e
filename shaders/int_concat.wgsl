// Concatenation along channels of two device activations with the same dtype and zero point (NHWC,
// channels padded to 4): output channel c comes from a (c < CA) or b (CA <= c < CA + CB); padded lanes
// hold the zero point. One invocation per output word.
override WG: u32 = 64u;
override BITS: u32 = 8u;

struct Params {
  total: u32,
  stride: u32,
  CA: u32,
  CPA: u32,
  CB: u32,
  CPB: u32,
  CPY: u32,
  ZP: i32,
}

@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> b: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  if (idx >= p.total) {
    return;
  }
  let lanes = lanes_per_word(BITS);
  let mask = (1u << BITS) - 1u;
  var word = 0u;
  for (var l = 0u; l < lanes; l++) {
    let e = idx * lanes + l;
    let pixel = e / p.CPY;
    let c = e % p.CPY;
    var v = p.ZP;
    if (c < p.CA) {
      let s = pixel * p.CPA + c;
      v = lane_of(a[s / lanes], BITS, s % lanes);
    } else if (c < p.CA + p.CB) {
      let s = pixel * p.CPB + (c - p.CA);
      v = lane_of(b[s / lanes], BITS, s % lanes);
    }
    word = word | ((bitcast<u32>(v) & mask) << (l * BITS));
  }
  y[idx] = word;
}
