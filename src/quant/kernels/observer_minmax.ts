import type { Tensor } from '../../engine/tensor';
import { pending } from './pending';

export function observeMinMax(_x: Tensor, _min: Tensor, _max: Tensor, _averagingConstant: number | null): void {
  pending('observeMinMax');
}

export function observeMinMaxPerChannel(_x: Tensor, _axis: number, _min: Tensor, _max: Tensor, _averagingConstant: number | null): void {
  pending('observeMinMaxPerChannel');
}
