// out[g * E + e] = Σ_s partial[(g * S + s) * E + e]: adds the partial results of a split reduction.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> partial: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
struct Params { n: u32, stride: u32, S: u32, E: u32 }
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * params.stride;
  if (i >= params.n) {
    return;
  }
  let g = i / params.E;
  let e = i - g * params.E;
  var base = g * params.S * params.E + e;
  var acc = 0.0;
  for (var s = 0u; s < params.S; s++) {
    acc += partial[base];
    base += params.E;
  }
  out[i] = acc;
}
