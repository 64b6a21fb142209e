/**
 * The fake-quantize ops as functions on tensors, recorded on the autograd tape (the rules are in
 * src/engine/backward.ts: `fake_quantize`, the straight-through estimator, and `learnable_fake_quantize`,
 * LSQ's x / scale / zero-point gradients).
 */
import { record } from '../engine/autograd';
import type { Tensor } from '../engine/tensor';
import { fakeQuantizeForward } from './kernels/fake_quantize';
import { lsqForward } from './kernels/lsq';

/**
 * Fake quantize with packed per-channel (scale, 1/scale, zero_point, zero_point); axis null is per tensor.
 * The backward reads `packed` again: it must not change before then (FakeQuantize packs per call).
 */
export function fakeQuantize(x: Tensor, packed: Tensor, quantMin: number, quantMax: number, axis: number | null): Tensor {
  const y = fakeQuantizeForward(x, packed, quantMin, quantMax, axis);
  return record('fake_quantize', [x], y, { x, packed, quantMin, quantMax, axis });
}

/** LSQ: fake quantize with learnable float scale / zero point (the zero point rounded and clamped inside). */
export function learnableFakeQuantize(
  x: Tensor,
  scale: Tensor,
  zeroPoint: Tensor,
  quantMin: number,
  quantMax: number,
  axis: number | null,
  gradFactor: number,
): Tensor {
  const y = lsqForward(x, scale, zeroPoint, quantMin, quantMax, axis);
  return record('learnable_fake_quantize', [x, scale, zeroPoint], y, { x, scale, zeroPoint, quantMin, quantMax, axis, gradFactor });
}
