// Dropout: y = x / (1 - p) where hash(seed, i) ≥ p, else 0. The mask is recomputed from the seed in the
// backward (same kernel on gy), so nothing is stored.
override WG: u32 = 64u;
// Elements per invocation (SwiftShader pays a fixed cost per invocation).
override EPI: u32 = 16u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
struct Params { n: u32, stride: u32, seed: u32, p: f32, scale: f32 }
@group(0) @binding(2) var<uniform> params: Params;

// PCG hash (Jarzynski and Olano, "Hash Functions for GPU Rendering").
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn element(i: u32) {
  let u = f32(pcg(i ^ pcg(params.seed)) >> 8u) * (1.0 / 16777216.0);
  y[i] = select(0.0, x[i] * params.scale, u >= params.p);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let first = (gid.x + gid.y * params.stride) * EPI;
  let last = min(first + EPI, params.n);
  for (var i = first; i < last; i++) {
    element(i);
  }
}
