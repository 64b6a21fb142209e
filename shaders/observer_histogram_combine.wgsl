// HistogramObserver.forward, step 3, one workgroup: the new histogram into `out` and the state's range.
//   mode 0: out = counts;   mode 1: out = counts + old
//   mode 2: out = counts + interpolate(old): the old histogram repeated upsample times on a fine grid
//           starting at start_idx, integrated (PyTorch: float64 cumsum; here double-single prefix sums),
//           sampled every downsample cells, differenced against the float32-stored previous sample,
//           divided by upsample.
override WG: u32 = 256u;

struct Params {
  bins: u32,
  upsample: u32,
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

@group(0) @binding(0) var<storage, read> counts: array<u32>;
@group(0) @binding(1) var<storage, read> old_hist: array<f32>;
@group(0) @binding(2) var<storage, read> hp: HistParams;
@group(0) @binding(3) var<storage, read_write> prefix: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> out_hist: array<f32>;
@group(0) @binding(5) var<storage, read_write> state_min: array<f32>;
@group(0) @binding(6) var<storage, read_write> state_max: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

var<workgroup> chunk_s: array<vec2<f32>, WG>;

// The integral of the upsampled old histogram over fine cells [0, k].
fn integral(k: i32) -> vec2<f32> {
  let u = i32(params.upsample);
  let bins = i32(params.bins);
  let total = bins * i32(hp.downsample);
  let m = clamp(k - hp.start_idx + 1, 0, min(bins * u, total - hp.start_idx));
  if (m <= 0) {
    return vec2<f32>(0.0, 0.0);
  }
  let full = m / u;
  let rem = m - full * u;
  var v = prefix[full];
  if (full < bins) {
    v = ds_add(v, ds_mul_f32(f32(rem), old_hist[full]));
  }
  return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let bins = params.bins;
  let per = (bins + WG - 1u) / WG;
  let begin = min(lid.x * per, bins);
  let end = min(begin + per, bins);
  let mode = hp.mode;
  if (mode == 2u) {
    let u = f32(params.upsample);
    var acc = vec2<f32>(0.0, 0.0);
    for (var k = begin; k < end; k = k + 1u) {
      acc = ds_add(acc, ds_mul_f32(u, old_hist[k]));
    }
    chunk_s[lid.x] = acc;
  }
  workgroupBarrier();
  if (mode == 2u && lid.x == 0u) {
    var run = vec2<f32>(0.0, 0.0);
    for (var t = 0u; t < WG; t = t + 1u) {
      let c = chunk_s[t];
      chunk_s[t] = run;
      run = ds_add(run, c);
    }
    prefix[bins] = run;
  }
  workgroupBarrier();
  if (mode == 2u) {
    let u = f32(params.upsample);
    var p = chunk_s[lid.x];
    for (var k = begin; k < end; k = k + 1u) {
      prefix[k] = p;
      p = ds_add(p, ds_mul_f32(u, old_hist[k]));
    }
  }
  storageBarrier();
  workgroupBarrier();
  for (var j = begin; j < end; j = j + 1u) {
    let fresh = f32(counts[j]);
    if (mode == 0u) {
      out_hist[j] = fresh;
    } else if (mode == 1u) {
      out_hist[j] = fresh + old_hist[j];
    } else {
      let d = i32(hp.downsample);
      let here = integral(i32(j + 1u) * d - 1);
      var before = 0.0;
      if (j > 0u) {
        before = integral(i32(j) * d - 1).x;
      }
      let diff = ds_add(here, vec2<f32>(-before, 0.0));
      out_hist[j] = fresh + cr_div(diff.x + diff.y, f32(params.upsample));
    }
  }
  if (lid.x == 0u) {
    state_min[0] = hp.cmin;
    state_max[0] = hp.cmax;
  }
}
