/**
 * Horizon's MSEObserver on the GPU, no readback: the batch's min/max (per tensor or per channel), the 95
 * (or 95 / stride) candidate ranges and their symmetric fake-quant parameters, the squared error of each
 * over the batch (8 candidates per pass over x, runs of elements per invocation, the runs added by a second
 * pass), then the best one into the moving-average state.
 * CPU reference: numerics/horizon_observers.ts (mseObserve) + minmax.ts (updateMinMax).
 */
import candidatesWgsl from '../../../shaders/observer_mse_candidates.wgsl?raw';
import errorWgsl from '../../../shaders/observer_mse_error.wgsl?raw';
import updateWgsl from '../../../shaders/observer_mse_update.wgsl?raw';
import { dispatch } from '../../engine/commands';
import { getPipeline } from '../../engine/pipelines';
import { fillTensor } from '../../engine/kernels/elementwise';
import { sumSplits } from '../../engine/kernels/reduce';
import { grid1d } from '../../engine/grid';
import { Tensor } from '../../engine/tensor';
import { FLOAT32_EPS } from '../numerics/float32';
import { mseCandidates } from '../numerics/horizon_observers';
import type { QParamsConfig } from '../numerics/qparams';
import { observeMinMax, observeMinMaxPerChannel } from './observer_minmax';
import { usesMagicRounding, type FakeQuantRounding } from './fake_quantize';
import { uniformBytes, withMath } from './wgsl';

const WG = 64;
/** Candidates per invocation (two vec4 lanes) and elements per invocation in the error kernel. */
const GROUP = 8;
const RUN = 256;

let rounding: FakeQuantRounding = 'auto';

/** Forces the error kernel's rounding ('auto': magic-number on SwiftShader, see shaders/fake_quant_math.wgsl): for tests. */
export function setMseRounding(next: FakeQuantRounding): void {
  rounding = next;
}

/** The batch's own min/max (per tensor, or per channel along `axis`) as new [channels] tensors. */
export function batchMinMax(x: Tensor, axis: number | null): [Tensor, Tensor] {
  const channels = axis === null ? 1 : x.shape[axis]!;
  const lo = fillTensor([channels], Infinity);
  const hi = fillTensor([channels], -Infinity);
  if (axis === null) observeMinMax(x, lo, hi, null);
  else observeMinMaxPerChannel(x, axis, lo, hi, null);
  return [lo, hi];
}

export function mseObserveGpu(
  x: Tensor,
  axis: number | null,
  minVal: Tensor,
  maxVal: Tensor,
  cfg: QParamsConfig,
  stride: number,
  averagingConstant: number,
): void {
  x.assertLive('MSEObserver');
  if (x.dtype !== 'float32') throw new Error(`MSEObserver: input must be float32 (got ${x.dtype})`);
  if (x.numel === 0) return;
  const channels = axis === null ? 1 : x.shape[axis]!;
  if (minVal.numel !== channels) throw new Error(`MSEObserver: state has ${minVal.numel} channels, input ${channels}`);
  const [lo, hi] = batchMinMax(x, axis);
  const K = mseCandidates(stride).length;
  const { cand, errors } = mseCandidateErrors(x, axis, lo, hi, cfg, stride);
  dispatch(
    getPipeline('observer_mse_update', () => withMath(updateWgsl)),
    [errors.buffer, cand.buffer, minVal.buffer, maxVal.buffer],
    [Math.ceil(channels / 64)],
    uniformBytes([
      ['u32', channels],
      ['u32', K],
      ['u32', 1],
      ['u32', 0],
      ['f32', averagingConstant],
    ]),
  );
  for (const t of [lo, hi, cand, errors]) t.dispose();
}

/**
 * The candidates' symmetric fake-quant parameters ([channels * K, 4]: scale, 1/scale, ..) for the batch
 * range [lo, hi], and the squared error of each over x ([channels * K], channel-major).
 */
export function mseCandidateErrors(
  x: Tensor,
  axis: number | null,
  lo: Tensor,
  hi: Tensor,
  cfg: QParamsConfig,
  stride: number,
): { cand: Tensor; errors: Tensor } {
  const channels = axis === null ? 1 : x.shape[axis]!;
  let outer = 1;
  if (axis !== null) for (let d = 0; d < axis; d++) outer *= x.shape[d]!;
  const inner = x.numel / (outer * channels);
  const factors = mseCandidates(stride).map((c) => c.factor);
  const K = factors.length;
  const factorT = Tensor.fromArray(factors, [K]);
  const cand = new Tensor([channels * K, 4], 'float32');
  dispatch(
    getPipeline('observer_mse_candidates', () => withMath(candidatesWgsl)),
    [lo.buffer, hi.buffer, factorT.buffer, cand.buffer],
    [Math.ceil((channels * K) / 64)],
    uniformBytes([
      ['u32', channels],
      ['u32', K],
      ['f32', Math.fround((cfg.quant_max - cfg.quant_min) / 2)],
      ['f32', cfg.eps ?? FLOAT32_EPS],
    ]),
  );
  const count = outer * inner;
  const runs = Math.max(1, Math.ceil(count / RUN));
  const groups = Math.ceil(K / GROUP);
  const invocations = runs * groups * channels;
  const [gx, gy, stride1d] = grid1d(invocations, WG);
  const partial = new Tensor([runs * channels * K], 'float32');
  const magic = usesMagicRounding(rounding);
  const errorPipeline = getPipeline(`observer_mse_error:${magic ? 'magic' : 'round'}`, () => withMath(errorWgsl), { WG, RUN, MAGIC: magic ? 1 : 0 });
  dispatch(errorPipeline, [x.buffer, cand.buffer, partial.buffer], [gx, gy], uniformBytes([
    ['u32', invocations],
    ['u32', stride1d],
    ['u32', outer],
    ['u32', channels],
    ['u32', inner],
    ['u32', runs],
    ['u32', K],
    ['u32', groups],
    ['f32', cfg.quant_min],
    ['f32', cfg.quant_max],
  ]));
  const errors = sumSplits(partial, 1, runs, channels * K, [channels * K]);
  factorT.dispose();
  partial.dispose();
  return { cand, errors };
}
