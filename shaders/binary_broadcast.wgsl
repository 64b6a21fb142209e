// out = op(a, b) with NumPy/PyTorch broadcasting, up to rank 8. The output is contiguous; a and b are
// read through strides that are 0 along broadcast dimensions. `op` and its scalar form `op1` are prepended from the table in
// src/engine/kernels/elementwise.ts.
override WG: u32 = 64u;
// Elements per invocation (SwiftShader pays a fixed cost per invocation).
override EPI: u32 = 16u;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
struct Params {
  n: u32,
  stride: u32,
  rank: u32,
  _pad: u32,
  shape: array<vec4<u32>, 2>,
  aStrides: array<vec4<u32>, 2>,
  bStrides: array<vec4<u32>, 2>,
}
@group(0) @binding(3) var<uniform> params: Params;

fn element(i: u32) {
  var rem = i;
  var ia = 0u;
  var ib = 0u;
  for (var d = i32(params.rank) - 1; d >= 0; d--) {
    let size = params.shape[d / 4][d % 4];
    let coord = rem % size;
    rem = rem / size;
    ia += coord * params.aStrides[d / 4][d % 4];
    ib += coord * params.bStrides[d / 4][d % 4];
  }
  out[i] = op1(a[ia], b[ib], 0.0, 0.0);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let first = (gid.x + gid.y * params.stride) * EPI;
  let last = min(first + EPI, params.n);
  for (var i = first; i < last; i++) {
    element(i);
  }
}
