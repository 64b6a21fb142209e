// Max pooling of an int8 device activation (NHWC channel-padded, four lanes to a word), one output word
// (four channels of one output pixel) per invocation: each window word is loaded once and its four lanes
// compared together. Same results as int_pool.wgsl's max path, which handles a lane at a time (and int16).
// Window size is baked in so the loops unroll.
override WG: u32 = 64u;
override KH_C: u32 = 2u;
override KW_C: u32 = 2u;

struct Params {
  total: u32,
  stride: u32,
  H: u32,
  W: u32,
  HO: u32,
  WO: u32,
  CW: u32,
  SH: u32,
  SW: u32,
  PH: u32,
  PW: u32,
  DH: u32,
  DW: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

// The four int8 lanes of a word, sign-extended (shifts by constants: no per-lane variable shifts).
fn lanes8(w: u32) -> vec4<i32> {
  let s = bitcast<i32>(w);
  return vec4<i32>((s << 24u) >> 24u, (s << 16u) >> 24u, (s << 8u) >> 24u, s >> 24u);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  if (idx >= p.total) {
    return;
  }
  let cw = idx % p.CW;
  let pix = idx / p.CW;
  let ox = pix % p.WO;
  let oy = (pix / p.WO) % p.HO;
  let n = pix / (p.WO * p.HO);
  let y0 = i32(oy * p.SH) - i32(p.PH);
  let x0 = i32(ox * p.SW) - i32(p.PW);
  var m = vec4<i32>(INT32_MIN);
  for (var ky = 0u; ky < KH_C; ky++) {
    let iy = y0 + i32(ky * p.DH);
    let row_ok = u32(iy) < p.H;
    for (var kx = 0u; kx < KW_C; kx++) {
      let ix = x0 + i32(kx * p.DW);
      let ok = row_ok && u32(ix) < p.W;
      let v = lanes8(x[select(0u, ((n * p.H + u32(iy)) * p.W + u32(ix)) * p.CW + cw, ok)]);
      m = select(m, max(m, v), ok);
    }
  }
  y[idx] = pack4x8(m);
}
