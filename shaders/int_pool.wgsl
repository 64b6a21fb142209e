// Pooling in the integer domain on device activations (NHWC channel-padded), one invocation per output
// word. Max: the largest value in the window (scale and zero point unchanged). Average: acc = Σ (x − z_x)
// over the window, then y = clamp(z_y + scale[divisor](acc), lo, hi) with PyTorch's avg_pool2d divisor;
// `rq` is a table of requantization constants indexed by the divisor.
override WG: u32 = 64u;
override IS_MAX: bool = true;
override X_BITS: u32 = 8u;
override OUT_BITS: u32 = 8u;

struct Params {
  total: u32,
  stride: u32,
  H: u32,
  W: u32,
  HO: u32,
  WO: u32,
  CP: u32,
  KH: u32,
  KW: u32,
  SH: u32,
  SW: u32,
  PH: u32,
  PW: u32,
  DH: u32,
  DW: u32,
  X_ZP: i32,
  Y_ZP: i32,
  LO: i32,
  HI: i32,
  COUNT_INCLUDE_PAD: u32,
  DIVISOR_OVERRIDE: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read> rq: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;
@group(0) @binding(3) var<uniform> p: Params;

fn x_at(e: u32) -> i32 {
  let per = lanes_per_word(X_BITS);
  return lane_of(x[e / per], X_BITS, e % per);
}

fn pool_value(n: u32, oy: u32, ox: u32, c: u32) -> i32 {
  let y0 = i32(oy * p.SH) - i32(p.PH);
  let x0 = i32(ox * p.SW) - i32(p.PW);
  if (IS_MAX) {
    var m = INT32_MIN;
    for (var ky = 0u; ky < p.KH; ky++) {
      let iy = y0 + i32(ky * p.DH);
      if (iy < 0 || iy >= i32(p.H)) {
        continue;
      }
      for (var kx = 0u; kx < p.KW; kx++) {
        let ix = x0 + i32(kx * p.DW);
        if (ix < 0 || ix >= i32(p.W)) {
          continue;
        }
        m = max(m, x_at(((n * p.H + u32(iy)) * p.W + u32(ix)) * p.CP + c));
      }
    }
    return m;
  }
  // PyTorch's window: clipped to the padded input for the divisor, to the input for the sum.
  let y1 = min(y0 + i32(p.KH), i32(p.H + p.PH));
  let x1 = min(x0 + i32(p.KW), i32(p.W + p.PW));
  let padded = (y1 - y0) * (x1 - x0);
  let ys = max(y0, 0);
  let xs = max(x0, 0);
  let ye = min(y1, i32(p.H));
  let xe = min(x1, i32(p.W));
  var acc = 0;
  for (var iy = ys; iy < ye; iy++) {
    for (var ix = xs; ix < xe; ix++) {
      acc += x_at(((n * p.H + u32(iy)) * p.W + u32(ix)) * p.CP + c) - p.X_ZP;
    }
  }
  var divisor = select((ye - ys) * (xe - xs), padded, p.COUNT_INCLUDE_PAD != 0u);
  if (p.DIVISOR_OVERRIDE != 0u) {
    divisor = i32(p.DIVISOR_OVERRIDE);
  }
  return clamp(p.Y_ZP + scale_acc(acc, rq[divisor]), p.LO, p.HI);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  if (idx >= p.total) {
    return;
  }
  let lanes = lanes_per_word(OUT_BITS);
  let mask = (1u << OUT_BITS) - 1u;
  var word = 0u;
  for (var l = 0u; l < lanes; l++) {
    let e = idx * lanes + l;
    let c = e % p.CP;
    let pix = e / p.CP;
    let ox = pix % p.WO;
    let oy = (pix / p.WO) % p.HO;
    let n = pix / (p.WO * p.HO);
    let q = pool_value(n, oy, ox, c);
    word = word | ((bitcast<u32>(q) & mask) << (l * OUT_BITS));
  }
  y[idx] = word;
}
