/**
 * HistogramObserver as torch 1.13: a running histogram of the values (bins, merged across batches by
 * upsampling by upsample_rate), and calculate_qparams by the L2 quantization-error search of
 * _non_linear_param_search over its bins. Both run on the GPU (see kernels/observer_histogram.ts); the
 * CPU reference is numerics/histogram.ts.
 */
import { Tensor } from '../engine/tensor';
import { COMMON_OPTIONS, ObserverBase, type ObserverArgs } from './observer_base';
import { histogramObserveGpu, histogramQParamsGpu } from './kernels/observer_histogram';
import { isPerChannel } from './types';

export class HistogramObserver extends ObserverBase {
  readonly bins: number;
  readonly upsample_rate: number;
  /** 2 ** bits of the dtype: the levels the search quantizes to (PyTorch's dst_nbins). */
  readonly dst_nbins: number;

  constructor(args: Partial<ObserverArgs> = {}) {
    super(args, [...COMMON_OPTIONS, 'bins', 'upsample_rate'], { dtype: 'quint8', qscheme: 'per_tensor_affine', ch_axis: -1 });
    if (isPerChannel(this.qscheme)) throw new Error(`HistogramObserver: qscheme ${this.qscheme} is per channel; it supports per-tensor qschemes only`);
    this.bins = args.bins ?? 2048;
    this.upsample_rate = args.upsample_rate ?? 128;
    if (!Number.isInteger(this.bins) || this.bins < 2) throw new Error(`HistogramObserver: bins must be an integer >= 2 (got ${this.bins})`);
    if (!Number.isInteger(this.upsample_rate) || this.upsample_rate < 1) {
      throw new Error(`HistogramObserver: upsample_rate must be a positive integer (got ${this.upsample_rate})`);
    }
    const bits = { qint8: 8, quint8: 8, qint16: 16, qint32: 32 }[this.dtype];
    this.dst_nbins = 2 ** bits;
    this.setBuffer('histogram', Tensor.zeros([this.bins]));
    this.setBuffer('min_val', Tensor.fromArray([Infinity], []));
    this.setBuffer('max_val', Tensor.fromArray([-Infinity], []));
  }

  get histogram(): Tensor {
    return this.buffer('histogram');
  }

  get min_val(): Tensor {
    return this.buffer('min_val');
  }

  get max_val(): Tensor {
    return this.buffer('max_val');
  }

  override forward(x: Tensor): Tensor {
    x.assertLive('HistogramObserver.forward');
    if (x.numel === 0) return x;
    histogramObserveGpu(x, { histogram: this.histogram, min_val: this.min_val, max_val: this.max_val }, this.upsample_rate);
    return x;
  }

  override qparamsChannels(): number {
    return 1;
  }

  override writeQParams(scale: Tensor, zeroPoint: Tensor, packed: Tensor | null): void {
    histogramQParamsGpu(
      { histogram: this.histogram, min_val: this.min_val, max_val: this.max_val },
      this.qparamsConfig,
      this.dst_nbins,
      scale,
      zeroPoint,
      packed,
    );
  }

  override extra_repr(): string {
    return `${super.extra_repr()}, bins=${this.bins}, upsample_rate=${this.upsample_rate}`;
  }
}
