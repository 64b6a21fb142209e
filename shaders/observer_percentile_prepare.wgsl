// PercentileObserver, step 1 (one thread): the histc range of |x|, [0, max(-min, max)] (torch.histc's
// adjustment when the ends are equal: all of x is 0, so [-1, 1]), and zeroed bin counts.
struct Params {
  bins: u32,
}

struct HistParams {
  mode: u32,
  downsample: u32,
  start_idx: i32,
  unused: u32,
  left: f32,
  right: f32,
  cmin: f32,
  cmax: f32,
}

@group(0) @binding(0) var<storage, read> cur_min: array<f32>;
@group(0) @binding(1) var<storage, read> cur_max: array<f32>;
@group(0) @binding(2) var<storage, read_write> hp: HistParams;
@group(0) @binding(3) var<storage, read_write> counts: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  for (var b = lid.x; b < params.bins; b = b + 64u) {
    counts[b] = 0u;
  }
  if (lid.x == 0u) {
    let range = max(-cur_min[0], cur_max[0]);
    var left = 0.0;
    var right = range;
    if (range == 0.0) {
      left = -1.0;
      right = 1.0;
    }
    hp = HistParams(0u, 0u, 0, 0u, left, right, 0.0, range);
  }
}
