// Max pooling with 2×2 windows, stride 2, no padding, on rows of even width (the common case): the two
// rows of a window are read as vec2 pairs. Same results as max_pool2d.wgsl (first maximum, NaN wins).
// Each invocation walks a run of EPI outputs of one plane.
override WG: u32 = 64u;
override EPI: u32 = 16u;

@group(0) @binding(0) var<storage, read> x: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> argmax: array<i32>;
struct Params { planes: u32, stride: u32, runs: u32, H: u32, W: u32, OH: u32, OW: u32 }
@group(0) @binding(3) var<uniform> params: Params;

// WGSL lets compilers assume values are never NaN, so x != x may fold to false: test the bits.
fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn better(v: f32, best: f32) -> bool {
  return (v > best) | isNan(v);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * params.stride;
  let plane = t / params.runs;
  if (plane >= params.planes) {
    return;
  }
  let run = t - plane * params.runs;
  let OHW = params.OH * params.OW;
  let halfW = params.W / 2u;
  let first = run * EPI;
  let last = min(first + EPI, OHW);
  var oy = first / params.OW;
  var ox = first - oy * params.OW;
  for (var p = first; p < last; p++) {
    let top = (plane * params.H + 2u * oy) * halfW + ox;
    let a = x[top];
    let b = x[top + halfW];
    let i0 = i32(2u * oy * params.W + 2u * ox);
    var best = a.x;
    var index = i0;
    let t1 = better(a.y, best);
    best = select(best, a.y, t1);
    index = select(index, i0 + 1, t1);
    let t2 = better(b.x, best);
    best = select(best, b.x, t2);
    index = select(index, i0 + i32(params.W), t2);
    let t3 = better(b.y, best);
    best = select(best, b.y, t3);
    index = select(index, i0 + i32(params.W) + 1, t3);
    let o = plane * OHW + p;
    y[o] = best;
    argmax[o] = index;
    ox++;
    if (ox == params.OW) {
      ox = 0u;
      oy++;
    }
  }
}
