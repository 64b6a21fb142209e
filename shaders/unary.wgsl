// y = op(x, alpha, beta) elementwise, four vec4s per invocation (SwiftShader pays per invocation and per
// load instruction, so each invocation moves 16 floats in 4 loads). `op` (on vec4) is prepended from
// the table in src/engine/kernels/elementwise.ts, so every unary op shares this one program. Buffers are
// padded to 16 bytes, so the last vec4 may run past n harmlessly.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;
struct Params { n4: u32, stride: u32, alpha: f32, beta: f32 }
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = (gid.x + gid.y * params.stride) * 4u;
  let a = params.alpha;
  let b = params.beta;
  if (i + 4u <= params.n4) {
    let x0 = x[i];
    let x1 = x[i + 1u];
    let x2 = x[i + 2u];
    let x3 = x[i + 3u];
    y[i] = op(x0, a, b);
    y[i + 1u] = op(x1, a, b);
    y[i + 2u] = op(x2, a, b);
    y[i + 3u] = op(x3, a, b);
  } else {
    for (var k = i; k < params.n4; k++) {
      y[k] = op(x[k], a, b);
    }
  }
}
