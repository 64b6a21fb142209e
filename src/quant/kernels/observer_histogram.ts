/**
 * HistogramObserver on the GPU, as torch 1.13 runs it, with no readback:
 *   forward:           min/max partials -> prepare (mode, histc range, combined range) -> histc with atomic
 *                      counts -> combine (into a scratch histogram, copied over the state)
 *   calculate_qparams: cumsum -> _non_linear_param_search -> the qparams kernel on the found range.
 * CPU reference: numerics/histogram.ts.
 */
import prepareWgsl from '../../../shaders/observer_histogram_prepare.wgsl?raw';
import histcWgsl from '../../../shaders/observer_histogram_histc.wgsl?raw';
import combineWgsl from '../../../shaders/observer_histogram_combine.wgsl?raw';
import cumsumWgsl from '../../../shaders/observer_histogram_cumsum.wgsl?raw';
import searchWgsl from '../../../shaders/observer_histogram_search.wgsl?raw';
import { copyBuffer, dispatch } from '../../engine/commands';
import { grid1d } from '../../engine/grid';
import { getPipeline } from '../../engine/pipelines';
import { Tensor } from '../../engine/tensor';
import type { QParamsConfig } from '../numerics/qparams';
import { minMaxPartials } from './observer_minmax';
import { writeQParams } from './qparams';
import { uniformBytes, withMath } from './wgsl';

const WG = 256;
/** HistParams in the WGSL: 8 words. */
const HIST_PARAMS_WORDS = 8;

export interface HistogramBuffers {
  histogram: Tensor;
  min_val: Tensor;
  max_val: Tensor;
}

export function histogramObserveGpu(x: Tensor, state: HistogramBuffers, upsampleRate: number): void {
  x.assertLive('HistogramObserver');
  if (x.dtype !== 'float32') throw new Error(`HistogramObserver: input must be float32 (got ${x.dtype})`);
  if (x.numel === 0) return;
  const bins = state.histogram.numel;
  const partial = minMaxPartials(x);
  const hp = new Tensor([HIST_PARAMS_WORDS], 'int32');
  const counts = new Tensor([bins], 'int32');
  dispatch(
    getPipeline('observer_histogram_prepare', () => withMath(prepareWgsl), { WG }),
    [partial.buffer, state.min_val.buffer, state.max_val.buffer, hp.buffer, counts.buffer],
    [1],
    uniformBytes([
      ['u32', partial.shape[0]!],
      ['u32', bins],
      ['u32', upsampleRate],
      ['u32', 0],
    ]),
  );
  const [gx, gy, stride] = grid1d(x.numel, WG);
  dispatch(getPipeline('observer_histogram_histc', () => withMath(histcWgsl), { WG }), [x.buffer, hp.buffer, counts.buffer], [gx, gy], uniformBytes([
    ['u32', x.numel],
    ['u32', stride],
    ['u32', bins],
    ['u32', 0],
  ]));
  const prefix = new Tensor([bins + 1, 2], 'float32');
  const out = new Tensor([bins], 'float32');
  dispatch(
    getPipeline('observer_histogram_combine', () => withMath(combineWgsl), { WG }),
    [counts.buffer, state.histogram.buffer, hp.buffer, prefix.buffer, out.buffer, state.min_val.buffer, state.max_val.buffer],
    [1],
    uniformBytes([
      ['u32', bins],
      ['u32', upsampleRate],
      ['u32', 0],
    ]),
  );
  copyBuffer(out.buffer, 0, state.histogram.buffer, 0, state.histogram.byteSize);
  for (const t of [partial, hp, counts, prefix, out]) t.dispose();
}

/** The clipped range the search finds ([new_min], [new_max] tensors), before qparams. */
export function histogramSearchGpu(state: HistogramBuffers, dstNbins: number): [Tensor, Tensor] {
  const bins = state.histogram.numel;
  const csum = new Tensor([bins + 1], 'float32');
  dispatch(getPipeline('observer_histogram_cumsum', () => withMath(cumsumWgsl), { WG }), [state.histogram.buffer, csum.buffer], [1], uniformBytes([['u32', bins]]));
  const newMin = new Tensor([1], 'float32');
  const newMax = new Tensor([1], 'float32');
  dispatch(
    getPipeline('observer_histogram_search', () => withMath(searchWgsl), { WG }),
    [state.histogram.buffer, csum.buffer, state.min_val.buffer, state.max_val.buffer, newMin.buffer, newMax.buffer],
    [1],
    uniformBytes([
      ['u32', bins],
      ['u32', dstNbins],
      ['u32', 0],
    ]),
  );
  csum.dispose();
  return [newMin, newMax];
}

export function histogramQParamsGpu(
  state: HistogramBuffers,
  cfg: QParamsConfig,
  dstNbins: number,
  scale: Tensor,
  zeroPoint: Tensor,
  packed: Tensor | null,
): void {
  const [newMin, newMax] = histogramSearchGpu(state, dstNbins);
  writeQParams(newMin, newMax, cfg, scale, zeroPoint, packed);
  newMin.dispose();
  newMax.dispose();
}
