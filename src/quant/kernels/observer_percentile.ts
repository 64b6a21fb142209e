import type { Tensor } from '../../engine/tensor';
import { pending } from './pending';

export function percentileObserveGpu(_x: Tensor, _min: Tensor, _max: Tensor, _threshold: number, _bins: number, _averagingConstant: number): void {
  pending('percentileObserveGpu');
}
