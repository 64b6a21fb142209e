/**
 * Min/max observers on the GPU, in place on the observer's state buffers, no readback, no workgroup
 * barriers (a software adapter pays dearly for them): per tensor in two passes (contiguous vec4 runs to
 * partials, then one small workgroup that reduces them and updates the state); per channel in one pass
 * when channels are small (weights: an invocation per channel), else partials per (row, chunk) and an
 * update per channel. Min and max do not depend on the order of reduction. CPU reference: numerics/minmax.ts.
 */
import partialWgsl from '../../../shaders/observer_minmax_partial.wgsl?raw';
import updateWgsl from '../../../shaders/observer_minmax_update.wgsl?raw';
import channelWgsl from '../../../shaders/observer_minmax_channel.wgsl?raw';
import { dispatch } from '../../engine/commands';
import { getPipeline } from '../../engine/pipelines';
import { grid1d } from '../../engine/grid';
import { Tensor } from '../../engine/tensor';
import { uniformBytes, withMath } from './wgsl';

const WG = 64;
/** vec4s one invocation of the per-tensor pass reduces (fewer partials for the one-workgroup update). */
const CHUNK4 = 256;
/** Per channel: at most this many elements per channel are reduced by one invocation in one pass. */
const DIRECT_MAX = 16384;
/** Per channel, two passes: elements of a row one invocation reduces. */
const CHANNEL_CHUNK = 1024;

/** Pass 1 of a per-tensor min/max: [groups] (min, max) partials. */
export function minMaxPartials(x: Tensor): Tensor {
  const n = x.numel;
  const groups = Math.max(1, Math.ceil(Math.floor(n / 4) / CHUNK4));
  const partial = new Tensor([groups, 2], 'float32');
  const [gx, gy, stride] = grid1d(groups, WG);
  const pipeline = getPipeline('observer_minmax_partial', () => partialWgsl, { WG });
  dispatch(pipeline, [x.buffer, partial.buffer], [gx, gy], uniformBytes([
    ['u32', n],
    ['u32', groups],
    ['u32', CHUNK4],
    ['u32', stride],
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
  const pipelineOf = (mode: number) =>
    getPipeline(`observer_minmax_channel:${mode}:${averaging ? 'avg' : 'run'}`, () => withMath(channelWgsl), {
      WG,
      MODE: mode,
      AVERAGING: averaging ? 1 : 0,
    });
  const uniforms = (chunks: number, chunk: number, stride: number) =>
    uniformBytes([
      ['u32', outer],
      ['u32', channels],
      ['u32', inner],
      ['u32', chunks],
      ['u32', chunk],
      ['u32', stride],
      ['u32', 0],
      ['f32', averagingConstant ?? 0],
    ]);
  const [cx, cy, cStride] = grid1d(channels, WG);
  if (outer * inner <= DIRECT_MAX) {
    // A throwaway partial binding (a kept scratch tensor would outlive the caller's scope).
    const unused = new Tensor([1, 2], 'float32');
    dispatch(pipelineOf(0), [x.buffer, unused.buffer, minVal.buffer, maxVal.buffer], [cx, cy], uniforms(1, inner, cStride));
    unused.dispose();
    return;
  }
  const chunk = Math.min(inner, CHANNEL_CHUNK);
  const chunks = Math.ceil(inner / chunk);
  const partial = new Tensor([outer * channels * chunks, 2], 'float32');
  const [px, py, pStride] = grid1d(outer * channels * chunks, WG);
  dispatch(pipelineOf(1), [x.buffer, partial.buffer, minVal.buffer, maxVal.buffer], [px, py], uniforms(chunks, chunk, pStride));
  dispatch(pipelineOf(2), [x.buffer, partial.buffer, minVal.buffer, maxVal.buffer], [cx, cy], uniforms(chunks, chunk, cStride));
  partial.dispose();
}
