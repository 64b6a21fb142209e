// Copies a region of `shape` (up to rank 8) from `src` to `dst`, each side addressed by its own offset
// and strides: a permute (src strides permuted), a slice (src offset), a cat piece (dst offset and
// strides of the whole output) or a broadcast expand (src stride 0).
override WG: u32 = 64u;
// Elements per invocation (SwiftShader pays a fixed cost per invocation).
override EPI: u32 = 16u;

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
struct Params {
  n: u32,
  stride: u32,
  rank: u32,
  srcOffset: u32,
  dstOffset: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  shape: array<vec4<u32>, 2>,
  srcStrides: array<vec4<u32>, 2>,
  dstStrides: array<vec4<u32>, 2>,
}
@group(0) @binding(2) var<uniform> params: Params;

fn element(i: u32) {
  var rem = i;
  var is = params.srcOffset;
  var id = params.dstOffset;
  for (var d = i32(params.rank) - 1; d >= 0; d--) {
    let size = params.shape[d / 4][d % 4];
    let coord = rem % size;
    rem = rem / size;
    is += coord * params.srcStrides[d / 4][d % 4];
    id += coord * params.dstStrides[d / 4][d % 4];
  }
  dst[id] = src[is];
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let first = (gid.x + gid.y * params.stride) * EPI;
  let last = min(first + EPI, params.n);
  for (var i = first; i < last; i++) {
    element(i);
  }
}
