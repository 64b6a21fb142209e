/**
 * The fake-quantize ops as functions on tensors, with their gradients (the straight-through estimator;
 * LSQ's scale and zero-point gradients).
 */
import type { Tensor } from '../engine/tensor';
import { pending } from './kernels/pending';

/** Fake quantize with packed per-channel [scale, 1/scale, zero_point, 0]; axis null is per tensor. */
export function fakeQuantize(_x: Tensor, _packed: Tensor, _quantMin: number, _quantMax: number, _axis: number | null): Tensor {
  return pending('fakeQuantize');
}

export function learnableFakeQuantize(
  _x: Tensor,
  _scale: Tensor,
  _zeroPoint: Tensor,
  _quantMin: number,
  _quantMax: number,
  _axis: number | null,
  _gradFactor: number,
): Tensor {
  return pending('learnableFakeQuantize');
}
