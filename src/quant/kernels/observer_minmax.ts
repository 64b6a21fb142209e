/**
 * Min/max observers on the GPU, in place on the observer's state buffers, no readback:
 * per tensor in two passes (workgroup partials, then one workgroup that reduces them and updates the
 * state), per channel in one (a workgroup per channel). CPU reference: numerics/minmax.ts.
 */
import partialWgsl from '../../../shaders/observer_minmax_partial.wgsl?raw';
import updateWgsl from '../../../shaders/observer_minmax_update.wgsl?raw';
import channelWgsl from '../../../shaders/observer_minmax_channel.wgsl?raw';
import { dispatch } from '../../engine/commands';
import { getPipeline } from '../../engine/pipelines';
import { Tensor } from '../../engine/tensor';
import { uniformBytes, withMath } from './wgsl';

const WG = 256;
/** Enough workgroups to keep a GPU busy; each thread strides over the rest. */
const MAX_GROUPS = 256;
/** Elements a thread takes before another workgroup is worth starting. */
const PER_THREAD = 16;

/** Pass 1 of a per-tensor min/max: [groups] (min, max) partials. */
export function minMaxPartials(x: Tensor): Tensor {
  const n = x.numel;
  const groups = Math.max(1, Math.min(MAX_GROUPS, Math.ceil(n / (WG * PER_THREAD))));
  const partial = new Tensor([groups, 2], 'float32');
  const pipeline = getPipeline('observer_minmax_partial', () => partialWgsl, { WG });
  dispatch(pipeline, [x.buffer, partial.buffer], [groups], uniformBytes([
    ['u32', n],
    ['u32', groups],
  ]));
  return partial;
}

export function observeMinMax(x: Tensor, minVal: Tensor, maxVal: Tensor, averagingConstant: number | null): void {
  x.assertLive('observer');
  if (x.dtype !== 'float32') throw new Error(`observer: input must be float32 (got ${x.dtype})`);
  if (x.numel === 0) return;
  const partial = minMaxPartials(x);
  const averaging = averagingConstant !== null;
  const pipeline = getPipeline(`observer_minmax_update:${averaging ? 'avg' : 'run'}`, () => withMath(updateWgsl), {
    WG,
    AVERAGING: averaging ? 1 : 0,
  });
  dispatch(pipeline, [partial.buffer, minVal.buffer, maxVal.buffer], [1], uniformBytes([
    ['u32', partial.shape[0]!],
    ['u32', 0],
    ['f32', averagingConstant ?? 0],
  ]));
  partial.dispose();
}

export function observeMinMaxPerChannel(x: Tensor, axis: number, minVal: Tensor, maxVal: Tensor, averagingConstant: number | null): void {
  x.assertLive('per-channel observer');
  if (x.dtype !== 'float32') throw new Error(`observer: input must be float32 (got ${x.dtype})`);
  const channels = x.shape[axis]!;
  if (minVal.numel !== channels || maxVal.numel !== channels) {
    throw new Error(`per-channel observer: state has ${minVal.numel} channels, input [${x.shape.join(', ')}] has ${channels} on axis ${axis}`);
  }
  if (x.numel === 0) return;
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= x.shape[d]!;
  const inner = x.numel / (outer * channels);
  const averaging = averagingConstant !== null;
  const pipeline = getPipeline(`observer_minmax_channel:${averaging ? 'avg' : 'run'}`, () => withMath(channelWgsl), {
    WG,
    AVERAGING: averaging ? 1 : 0,
  });
  const gx = Math.min(channels, 65535);
  const gy = Math.ceil(channels / 65535);
  dispatch(pipeline, [x.buffer, minVal.buffer, maxVal.buffer], [gx, gy], uniformBytes([
    ['u32', outer],
    ['u32', channels],
    ['u32', inner],
    ['u32', 0],
    ['f32', averagingConstant ?? 0],
  ]));
}
