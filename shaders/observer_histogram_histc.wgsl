// HistogramObserver.forward, step 2: torch.histc of the batch over [hp.left, hp.right] into integer
// counts (atomics). The bin is trunc((x - left) * bins / (right - left)) in float32 with an exactly
// rounded division, as PyTorch's linear-interpolation histogram; the right edge belongs to the last bin.
override WG: u32 = 256u;
// |x| (PercentileObserver) instead of x.
override ABS: bool = false;

struct Params {
  n: u32,
  stride: u32,
  bins: u32,
  zero: u32,
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

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> hp: HistParams;
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(3) var<uniform> params: Params;

fn keep(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) ^ params.zero);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * params.stride;
  if (i >= params.n) {
    return;
  }
  let v = select(x[i], abs(x[i]), ABS);
  let left = hp.left;
  let right = hp.right;
  if (!(v >= left && v <= right)) {
    return;
  }
  let scaled = keep((v - left) * f32(params.bins));
  var pos = u32(trunc(cr_div(scaled, right - left)));
  if (pos >= params.bins) {
    pos = params.bins - 1u;
  }
  atomicAdd(&counts[pos], 1u);
}
