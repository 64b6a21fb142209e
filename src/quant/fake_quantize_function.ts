/**
 * The fake-quantize ops as functions on tensors, with their gradients (the straight-through estimator;
 * LSQ's scale and zero-point gradients).
 */
import type { Tensor } from '../engine/tensor';
import { fakeQuantizeForward } from './kernels/fake_quantize';
import { lsqForward } from './kernels/lsq';

/** Fake quantize with packed per-channel [scale, 1/scale, zero_point, zero_point]; axis null is per tensor. */
export function fakeQuantize(x: Tensor, packed: Tensor, quantMin: number, quantMax: number, axis: number | null): Tensor {
  return fakeQuantizeForward(x, packed, quantMin, quantMax, axis);
}

/** LSQ: fake quantize with learnable float scale / zero point (rounded and clamped inside). */
export function learnableFakeQuantize(
  x: Tensor,
  scale: Tensor,
  zeroPoint: Tensor,
  quantMin: number,
  quantMax: number,
  axis: number | null,
  _gradFactor: number,
): Tensor {
  return lsqForward(x, scale, zeroPoint, quantMin, quantMax, axis);
}
