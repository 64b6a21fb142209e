/**
 * LSQ (learnable fake quantize) on the GPU: the forward is plain fake quantize with the parameters packed
 * (zero point rounded and clamped, shaders/fake_quant_pack.wgsl); the backward gives dx, dscale and
 * dzero_point (shaders/fake_quant_lsq_backward.wgsl + _reduce.wgsl). CPU reference: numerics/lsq.ts.
 */
import backwardWgsl from '../../../shaders/fake_quant_lsq_backward.wgsl?raw';
import reduceWgsl from '../../../shaders/fake_quant_lsq_reduce.wgsl?raw';
import paramWgsl from '../../../shaders/fake_quant_lsq_param.wgsl?raw';
import { dispatch } from '../../engine/commands';
import { getPipeline } from '../../engine/pipelines';
import { Tensor } from '../../engine/tensor';
import type { ObserverBase } from '../observer_base';
import { fakeQuantizeForward, packLearnableQParams } from './fake_quantize';
import { unusedBinding, uniformBytes, withMath } from './wgsl';

const WG = 256;
const CHUNK = WG * 16;

export interface LsqGradTensors {
  dx: Tensor;
  dscale: Tensor;
  dzero_point: Tensor;
}

function channelGeometry(x: Tensor, axis: number | null): { outer: number; channels: number; inner: number } {
  if (axis === null) return { outer: 1, channels: 1, inner: x.numel };
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= x.shape[d]!;
  const channels = x.shape[axis]!;
  return { outer, channels, inner: channels === 0 ? 0 : x.numel / (outer * channels) };
}

/** y of LSQ's forward. */
export function lsqForward(x: Tensor, scale: Tensor, zeroPoint: Tensor, quantMin: number, quantMax: number, axis: number | null): Tensor {
  const packed = packLearnableQParams(scale, zeroPoint, quantMin, quantMax, axis !== null);
  const y = fakeQuantizeForward(x, packed, quantMin, quantMax, axis);
  packed.dispose();
  return y;
}

/** dx, dscale, dzero_point of LSQ's backward (dscale/dzero_point shaped like the parameters). */
export function lsqBackward(
  x: Tensor,
  dy: Tensor,
  scale: Tensor,
  zeroPoint: Tensor,
  quantMin: number,
  quantMax: number,
  axis: number | null,
  gradFactor: number,
): LsqGradTensors {
  if (dy.numel !== x.numel) throw new Error(`LSQ backward: dy [${dy.shape.join(', ')}] vs x [${x.shape.join(', ')}]`);
  const { outer, channels, inner } = channelGeometry(x, axis);
  if (scale.numel !== channels) throw new Error(`LSQ backward: ${scale.numel} scales for ${channels} channels of [${x.shape.join(', ')}]`);
  const packed = packLearnableQParams(scale, zeroPoint, quantMin, quantMax, axis !== null);
  const count = outer * inner;
  const chunks = Math.max(1, Math.ceil(count / CHUNK));
  if (chunks > 65535 || channels > 65535) throw new Error(`LSQ backward: [${x.shape.join(', ')}] is too large for one dispatch`);
  const dx = new Tensor(x.shape, 'float32');
  const partial = new Tensor([channels * chunks, 2], 'float32');
  const pipeline = getPipeline('fake_quant_lsq_backward', () => withMath(backwardWgsl), { WG });
  dispatch(
    pipeline,
    [x.buffer, dy.buffer, packed.buffer, dx.buffer, partial.buffer],
    [chunks, channels],
    uniformBytes([
      ['u32', outer],
      ['u32', channels],
      ['u32', inner],
      ['u32', chunks],
      ['u32', CHUNK],
      ['u32', 0],
      ['f32', quantMin],
      ['f32', quantMax],
      ['f32', Math.fround(gradFactor)],
    ]),
  );
  const dscale = new Tensor(scale.shape, 'float32');
  const dzp = new Tensor(zeroPoint.shape, 'float32');
  const reduce = getPipeline('fake_quant_lsq_reduce', () => reduceWgsl);
  dispatch(reduce, [partial.buffer, dscale.buffer, dzp.buffer], [Math.ceil(channels / 64)], uniformBytes([
    ['u32', channels],
    ['u32', chunks],
  ]));
  partial.dispose();
  packed.dispose();
  return { dx, dscale, dzero_point: dzp };
}

function paramOp(mode: number, dst: Tensor, src: Tensor | null, eps = 0): void {
  const pipeline = getPipeline(`fake_quant_lsq_param:${mode}`, () => paramWgsl, { MODE: mode });
  dispatch(pipeline, [src?.buffer ?? unusedBinding(), dst.buffer], [Math.ceil(dst.numel / 64)], uniformBytes([
    ['u32', dst.numel],
    ['f32', eps],
  ]));
}

/** scale/zero point from the observer into LSQ's parameters (PyTorch's static estimate). */
export function copyObserverQParamsToLearnable(observer: ObserverBase, scale: Tensor, zeroPoint: Tensor): void {
  const channels = Math.max(1, observer.qparamsChannels());
  if (channels !== scale.numel) {
    throw new Error(`LearnableFakeQuantize: the observer has ${channels} channels, the parameters ${scale.numel} (channel_len)`);
  }
  const zpInt = new Tensor([channels], 'int32');
  observer.writeQParams(scale, zpInt, null);
  paramOp(0, zeroPoint, zpInt);
  zpInt.dispose();
}

/** scale.clamp_(min=eps), in place. */
export function clampScaleMin(scale: Tensor, eps: number): void {
  paramOp(1, scale, null, eps);
}

export function zeroFill(t: Tensor): void {
  paramOp(2, t, null);
}
