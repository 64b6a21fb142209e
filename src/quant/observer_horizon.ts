/**
 * Horizon's calibration observers, symmetric only (as there): the state is a moving average of a
 * clipped min/max (averaging_constant; the first batch sets it).
 *   MSEObserver:        per batch, the range among 95 shrinking candidates max * (1 - i/100)
 *                       (i = 0, stride, 2*stride, ...) whose fake quantization has the least L2 error;
 *                       per tensor or per channel (ch_axis >= 0).
 *   PercentileObserver: per batch, |x| clipped at the `percentile` of its histogram (bins).
 */
import { Tensor } from '../engine/tensor';
import { COMMON_OPTIONS, MinMaxStateObserver, type ObserverArgs } from './observer_base';
import { mseObserveGpu } from './kernels/observer_mse';
import { percentileObserveGpu } from './kernels/observer_percentile';
import { isPerChannel, isSymmetric } from './types';

abstract class HorizonObserver extends MinMaxStateObserver {
  readonly averaging_constant: number;

  protected constructor(args: Partial<ObserverArgs>, options: readonly string[]) {
    const perChannel = args.qscheme !== undefined && isPerChannel(args.qscheme);
    super(args, [...COMMON_OPTIONS, 'ch_axis', 'averaging_constant', ...options], {
      dtype: 'qint8',
      qscheme: 'per_tensor_symmetric',
      ch_axis: perChannel ? 0 : -1,
    });
    const name = new.target.name;
    if (!isSymmetric(this.qscheme)) throw new Error(`${name}: only symmetric qschemes are supported (got ${this.qscheme})`);
    this.averaging_constant = args.averaging_constant ?? 0.01;
    const c = this.averaging_constant;
    if (!(c >= 0 && c <= 1)) throw new Error(`${name}: averaging_constant must be in [0, 1] (got ${c})`);
    const n = isPerChannel(this.qscheme) ? 0 : 1;
    this.setBuffer('min_val', Tensor.fromArray(new Float32Array(n).fill(Infinity), [n]));
    this.setBuffer('max_val', Tensor.fromArray(new Float32Array(n).fill(-Infinity), [n]));
  }

  protected override resizableBuffers(): readonly string[] {
    return ['min_val', 'max_val'];
  }

  /** Per-channel state sized to the input's channels on first use. */
  protected channelAxis(x: Tensor): number | null {
    if (!isPerChannel(this.qscheme)) return null;
    const axis = this.ch_axis < 0 ? this.ch_axis + x.rank : this.ch_axis;
    if (axis < 0 || axis >= x.rank) throw new Error(`${this._typeName}: ch_axis ${this.ch_axis} is out of range for input [${x.shape.join(', ')}]`);
    const channels = x.shape[axis]!;
    if (this.min_val.numel !== channels) {
      if (this.min_val.numel !== 0) {
        throw new Error(`${this._typeName}: input [${x.shape.join(', ')}] has ${channels} channels on axis ${axis}, the observer has seen ${this.min_val.numel}`);
      }
      this.setBuffer('min_val', Tensor.fromArray(new Float32Array(channels).fill(Infinity), [channels]));
      this.setBuffer('max_val', Tensor.fromArray(new Float32Array(channels).fill(-Infinity), [channels]));
    }
    return axis;
  }
}

export class MSEObserver extends HorizonObserver {
  readonly stride: number;

  constructor(args: Partial<ObserverArgs> = {}) {
    super(args, ['stride']);
    this.stride = args.stride ?? 1;
    if (!Number.isInteger(this.stride) || this.stride < 1 || this.stride > 94) {
      throw new Error(`MSEObserver: stride must be an integer in [1, 94] (got ${this.stride})`);
    }
  }

  override forward(x: Tensor): Tensor {
    x.assertLive('MSEObserver.forward');
    if (x.numel === 0) return x;
    const axis = this.channelAxis(x);
    mseObserveGpu(x, axis, this.min_val, this.max_val, this.qparamsConfig, this.stride, this.averaging_constant);
    return x;
  }

  override extra_repr(): string {
    return `${super.extra_repr()}, stride=${this.stride}, averaging_constant=${this.averaging_constant}`;
  }
}

export class PercentileObserver extends HorizonObserver {
  readonly percentile: number;
  readonly bins: number;

  constructor(args: Partial<ObserverArgs> = {}) {
    super(args, ['percentile', 'bins']);
    if (isPerChannel(this.qscheme)) throw new Error('PercentileObserver: only per_tensor_symmetric is supported');
    this.percentile = args.percentile ?? 99.99;
    this.bins = args.bins ?? 2048;
    if (!(this.percentile >= 0 && this.percentile <= 100)) throw new Error(`PercentileObserver: percentile must be in [0, 100] (got ${this.percentile})`);
    if (!Number.isInteger(this.bins) || this.bins < 1) throw new Error(`PercentileObserver: bins must be a positive integer (got ${this.bins})`);
  }

  override forward(x: Tensor): Tensor {
    x.assertLive('PercentileObserver.forward');
    if (x.numel === 0) return x;
    percentileObserveGpu(x, this.min_val, this.max_val, this.percentile / 100, this.bins, this.averaging_constant);
    return x;
  }

  override extra_repr(): string {
    return `${super.extra_repr()}, percentile=${this.percentile}, bins=${this.bins}, averaging_constant=${this.averaging_constant}`;
  }
}
