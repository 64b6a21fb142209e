import type { Tensor } from '../../engine/tensor';
import type { QParamsConfig } from '../numerics/qparams';
import { pending } from './pending';

/** scale/zero_point (and packed [scale, 1/scale, zp, 0] per channel) from min/max buffers. */
export function writeQParams(_min: Tensor, _max: Tensor, _cfg: QParamsConfig, _scale: Tensor, _zp: Tensor, _packed: Tensor | null): void {
  pending('writeQParams');
}

/** Packs scale/zero_point for the fake-quant kernel (1/scale rounded exactly); reuses `into` when it fits. */
export function packQParams(_scale: Tensor, _zp: Tensor, _into: Tensor | null): Tensor {
  return pending('packQParams');
}

export function copyQParams(_srcScale: Tensor, _srcZp: Tensor, _scale: Tensor, _zp: Tensor, _packed: Tensor | null): void {
  pending('copyQParams');
}
