// out = op(a, b, alpha, beta) for two tensors of the same shape, four vec4s per invocation (see
// unary.wgsl). `op` (on vec4) is prepended from the table in src/engine/kernels/elementwise.ts, and so are
// the bindings: `a`, `b`, `params` and `store(i, v)`, which writes a new output or, in place, `a` itself
// (gradient accumulation).
override WG: u32 = 64u;

struct Params { n4: u32, stride: u32, alpha: f32, beta: f32 }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = (gid.x + gid.y * params.stride) * 4u;
  let al = params.alpha;
  let be = params.beta;
  if (i + 4u <= params.n4) {
    let a0 = a[i];
    let a1 = a[i + 1u];
    let a2 = a[i + 2u];
    let a3 = a[i + 3u];
    let b0 = b[i];
    let b1 = b[i + 1u];
    let b2 = b[i + 2u];
    let b3 = b[i + 3u];
    store(i, op(a0, b0, al, be));
    store(i + 1u, op(a1, b1, al, be));
    store(i + 2u, op(a2, b2, al, be));
    store(i + 3u, op(a3, b3, al, be));
  } else {
    for (var k = i; k < params.n4; k++) {
      store(k, op(a[k], b[k], al, be));
    }
  }
}
