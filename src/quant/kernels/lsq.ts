import type { Tensor } from '../../engine/tensor';
import type { ObserverBase } from '../observer_base';
import { pending } from './pending';

export function copyObserverQParamsToLearnable(_observer: ObserverBase, _scale: Tensor, _zp: Tensor): void {
  pending('copyObserverQParamsToLearnable');
}

export function clampScaleMin(_scale: Tensor, _eps: number): void {
  pending('clampScaleMin');
}

export function zeroFill(_t: Tensor): void {
  pending('zeroFill');
}
