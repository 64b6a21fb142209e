// HistogramObserver.calculate_qparams, step 1, one workgroup: cSum = torch.cumsum(histogram) as PyTorch
// computes it on the CPU (float64 accumulation, each value stored as float32), and the total at [bins].
override WG: u32 = 256u;

struct Params {
  bins: u32,
}

@group(0) @binding(0) var<storage, read> hist: array<f32>;
@group(0) @binding(1) var<storage, read_write> csum: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> chunk_s: array<vec2<f32>, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let bins = params.bins;
  let per = (bins + WG - 1u) / WG;
  let begin = min(lid.x * per, bins);
  let end = min(begin + per, bins);
  var acc = vec2<f32>(0.0, 0.0);
  for (var k = begin; k < end; k = k + 1u) {
    acc = ds_add(acc, vec2<f32>(hist[k], 0.0));
  }
  chunk_s[lid.x] = acc;
  workgroupBarrier();
  if (lid.x == 0u) {
    var run = vec2<f32>(0.0, 0.0);
    for (var t = 0u; t < WG; t = t + 1u) {
      let c = chunk_s[t];
      chunk_s[t] = run;
      run = ds_add(run, c);
    }
    csum[bins] = run.x;
  }
  workgroupBarrier();
  var p = chunk_s[lid.x];
  for (var k = begin; k < end; k = k + 1u) {
    p = ds_add(p, vec2<f32>(hist[k], 0.0));
    csum[k] = p.x;
  }
}
