// Merges the per-chunk (count, mean, M2) of each channel (Chan et al.'s parallel variance), writes the
// batch mean and 1/sqrt(var + eps) to stats[c] and stats[C + c], and, when training, moves the running
// statistics by `momentum` as PyTorch does (running_var takes the unbiased variance).
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> partial: array<f32>;
@group(0) @binding(1) var<storage, read_write> stats: array<f32>;
@group(0) @binding(2) var<storage, read_write> runningMean: array<f32>;
@group(0) @binding(3) var<storage, read_write> runningVar: array<f32>;
struct Params { N: u32, C: u32, chunks: u32, update: u32, momentum: f32, eps: f32 }
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= params.C) {
    return;
  }
  var count = 0.0;
  var mean = 0.0;
  var m2 = 0.0;
  for (var n = 0u; n < params.N; n++) {
    for (var k = 0u; k < params.chunks; k++) {
      let q = ((n * params.C + c) * params.chunks + k) * 3u;
      let nb = partial[q];
      let delta = partial[q + 1u] - mean;
      let total = count + nb;
      mean += delta * nb / total;
      m2 += partial[q + 2u] + delta * delta * count * nb / total;
      count = total;
    }
  }
  let variance = m2 / count;
  stats[c] = mean;
  stats[params.C + c] = inverseSqrt(variance + params.eps);
  if (params.update != 0u) {
    let unbiased = select(variance, m2 / (count - 1.0), count > 1.0);
    runningMean[c] = (1.0 - params.momentum) * runningMean[c] + params.momentum * mean;
    runningVar[c] = (1.0 - params.momentum) * runningVar[c] + params.momentum * unbiased;
  }
}
