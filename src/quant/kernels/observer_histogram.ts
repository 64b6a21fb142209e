import type { Tensor } from '../../engine/tensor';
import type { QParamsConfig } from '../numerics/qparams';
import { pending } from './pending';

export interface HistogramBuffers {
  histogram: Tensor;
  min_val: Tensor;
  max_val: Tensor;
}

export function histogramObserveGpu(_x: Tensor, _state: HistogramBuffers, _upsampleRate: number): void {
  pending('histogramObserveGpu');
}

export function histogramQParamsGpu(
  _state: HistogramBuffers,
  _cfg: QParamsConfig,
  _dstNbins: number,
  _scale: Tensor,
  _zp: Tensor,
  _packed: Tensor | null,
): void {
  pending('histogramQParamsGpu');
}
