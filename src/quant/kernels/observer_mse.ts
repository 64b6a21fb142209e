import type { Tensor } from '../../engine/tensor';
import type { QParamsConfig } from '../numerics/qparams';
import { pending } from './pending';

export function mseObserveGpu(
  _x: Tensor,
  _axis: number | null,
  _min: Tensor,
  _max: Tensor,
  _cfg: QParamsConfig,
  _stride: number,
  _averagingConstant: number,
): void {
  pending('mseObserveGpu');
}
