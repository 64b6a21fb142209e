/**
 * Horizon's PercentileObserver on the GPU, no readback: the batch's min/max, a histogram of |x| over
 * [0, max|x|] (bins), the clip at the first bin reaching percentile * numel, then the moving-average
 * state. CPU reference: numerics/horizon_observers.ts (percentileObserve) + minmax.ts (updateMinMax).
 */
import prepareWgsl from '../../../shaders/observer_percentile_prepare.wgsl?raw';
import histcWgsl from '../../../shaders/observer_histogram_histc.wgsl?raw';
import updateWgsl from '../../../shaders/observer_percentile_update.wgsl?raw';
import { dispatch } from '../../engine/commands';
import { grid1d } from '../../engine/grid';
import { getPipeline } from '../../engine/pipelines';
import { Tensor } from '../../engine/tensor';
import { batchMinMax } from './observer_mse';
import { uniformBytes, withMath } from './wgsl';

const WG = 256;

export function percentileObserveGpu(x: Tensor, minVal: Tensor, maxVal: Tensor, threshold: number, bins: number, averagingConstant: number): void {
  x.assertLive('PercentileObserver');
  if (x.dtype !== 'float32') throw new Error(`PercentileObserver: input must be float32 (got ${x.dtype})`);
  if (x.numel === 0) return;
  const [lo, hi] = batchMinMax(x, null);
  const hp = new Tensor([8], 'int32');
  const counts = new Tensor([bins], 'int32');
  dispatch(getPipeline('observer_percentile_prepare', () => prepareWgsl), [lo.buffer, hi.buffer, hp.buffer, counts.buffer], [1], uniformBytes([['u32', bins]]));
  const [gx, gy, stride] = grid1d(x.numel, WG);
  dispatch(getPipeline('observer_histogram_histc:abs', () => withMath(histcWgsl), { WG, ABS: 1 }), [x.buffer, hp.buffer, counts.buffer], [gx, gy], uniformBytes([
    ['u32', x.numel],
    ['u32', stride],
    ['u32', bins],
    ['u32', 0],
  ]));
  dispatch(
    getPipeline('observer_percentile_update', () => withMath(updateWgsl)),
    [counts.buffer, hp.buffer, lo.buffer, hi.buffer, minVal.buffer, maxVal.buffer],
    [1],
    uniformBytes([
      ['u32', bins],
      ['u32', 0],
      ['f32', Math.fround(threshold * x.numel)],
      ['f32', averagingConstant],
    ]),
  );
  for (const t of [lo, hi, hp, counts]) t.dispose();
}
