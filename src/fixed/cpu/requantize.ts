/**
 * CPU reference of requantization over a whole tensor (channels on axis 1: NCHW or [N, C]).
 *   y = clamp(z_y + scale_c(x − z_x), lo, hi)
 */
import type { RequantizeOpSpec } from '../ops';
import { requantize, type RequantMode, type RequantParams } from '../requant';

export interface RequantSpec {
  params: RequantParams;
  mode: RequantMode;
  /** Output zero point (storage domain). */
  zeroPoint: number;
  /** Output clamp [lo, hi] (storage domain): the dtype range, or tighter for a fused ReLU/ReLU6. */
  clamp: readonly [number, number];
}

function channelsOf(shape: readonly number[]): { channels: number; inner: number } {
  const channels = shape.length > 1 ? shape[1] : 1;
  let inner = 1;
  for (let d = 2; d < shape.length; d++) inner *= shape[d];
  return { channels, inner };
}

function paramIndex(params: RequantParams, channel: number): number {
  return params.scale.length === 1 ? 0 : channel;
}

export function requantizeTensorCpu(
  x: ArrayLike<number>,
  shape: readonly number[],
  spec: RequantSpec,
  inputZeroPoint = 0,
): Int32Array {
  const { channels, inner } = channelsOf(shape);
  if (spec.params.scale.length !== 1 && spec.params.scale.length !== channels) {
    throw new Error(`requantize: ${spec.params.scale.length} channel multipliers for ${channels} channels`);
  }
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / inner) % channels;
    out[i] = requantize(
      (x[i] - inputZeroPoint) | 0,
      spec.params,
      paramIndex(spec.params, c),
      spec.mode,
      spec.zeroPoint,
      spec.clamp[0],
      spec.clamp[1],
    );
  }
  return out;
}

/** The requantize op (spec form, NCHW). */
export function requantizeCpu(spec: RequantizeOpSpec, x: ArrayLike<number>): Int32Array {
  return requantizeTensorCpu(x, spec.shape, { params: spec.requant, mode: spec.mode, zeroPoint: spec.yZeroPoint, clamp: spec.clamp }, spec.xZeroPoint);
}
