// Small in-place operations on LSQ's scale / zero-point parameters.
// MODE 0: dst = f32(src_int)     (an observer's int32 zero point into the float parameter)
// MODE 1: dst = max(dst, eps)    (scale.clamp_(min=eps))
// MODE 2: dst = 0                (a symmetric scheme's zero point)
override MODE: u32 = 0u;

struct Params {
  n: u32,
  eps: f32,
}

@group(0) @binding(0) var<storage, read> src_int: array<i32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.n) {
    return;
  }
  if (MODE == 0u) {
    dst[i] = f32(src_int[i]);
  } else if (MODE == 1u) {
    dst[i] = max(dst[i], params.eps);
  } else {
    dst[i] = 0.0;
  }
}
