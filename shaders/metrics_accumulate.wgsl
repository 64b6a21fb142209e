// Adds one batch's per-row cross-entropy results into running training metrics on the GPU:
// metrics = (Σ loss, Σ correct, count, 0). Read back every few steps, never inside a step.
@group(0) @binding(0) var<storage, read> rows: array<f32>;
@group(0) @binding(1) var<storage, read_write> metrics: array<f32>;
struct Params { N: u32 }
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(1)
fn main() {
  var loss = 0.0;
  var correct = 0.0;
  for (var n = 0u; n < params.N; n++) {
    loss += rows[n];
    correct += rows[params.N + n];
  }
  metrics[0] += loss;
  metrics[1] += correct;
  metrics[2] += f32(params.N);
}
