/**
 * The MinMax family of torch.ao.quantization: MinMaxObserver (running min/max),
 * MovingAverageMinMaxObserver (min += c * (batch_min - min), the first batch sets it), and their
 * per-channel variants along `ch_axis`. Statistics are reduced on the GPU into the min_val/max_val
 * buffers without readback.
 *
 * Horizon's MinMaxObserver is a moving average (averaging_constant, default 0.01) and takes per-channel
 * qschemes with `ch_axis`; ours follows PyTorch unless those options are given, then Horizon.
 */
import { Tensor } from '../engine/tensor';
import { COMMON_OPTIONS, MinMaxStateObserver, type ObserverArgs } from './observer_base';
import { observeMinMax, observeMinMaxPerChannel } from './kernels/observer_minmax';
import { isPerChannel, type QDType, type QScheme } from './types';

const MINMAX_OPTIONS = [...COMMON_OPTIONS, 'ch_axis', 'averaging_constant'] as const;

/** Shared implementation; the four exported classes differ only in their defaults. */
export abstract class MinMaxFamilyObserver extends MinMaxStateObserver {
  /** null: running min/max; a number: moving average with this constant. */
  readonly averaging_constant: number | null;

  protected constructor(
    args: Partial<ObserverArgs>,
    defaults: { dtype: QDType; qscheme: QScheme; averaging_constant: number | null; perChannelClass: boolean },
  ) {
    const qscheme = args.qscheme ?? defaults.qscheme;
    super(args, MINMAX_OPTIONS, {
      dtype: defaults.dtype,
      qscheme: defaults.qscheme,
      ch_axis: isPerChannel(qscheme) ? 0 : -1,
    });
    const name = new.target.name;
    if (defaults.perChannelClass && !isPerChannel(this.qscheme)) {
      throw new Error(`${name}: qscheme ${this.qscheme} is per tensor; use per_channel_affine or per_channel_symmetric (or MinMaxObserver)`);
    }
    if (isPerChannel(this.qscheme) && args.ch_axis === -1) {
      throw new Error(`${name}: a per-channel qscheme needs ch_axis >= 0 (got -1, which means per tensor)`);
    }
    const c = args.averaging_constant ?? defaults.averaging_constant;
    if (c !== null && !(c >= 0 && c <= 1)) throw new Error(`${name}: averaging_constant must be in [0, 1] (got ${c})`);
    this.averaging_constant = c;
    if (isPerChannel(this.qscheme)) {
      this.setBuffer('min_val', Tensor.zeros([0]));
      this.setBuffer('max_val', Tensor.zeros([0]));
    } else {
      this.setBuffer('min_val', Tensor.fromArray([Infinity], []));
      this.setBuffer('max_val', Tensor.fromArray([-Infinity], []));
    }
  }

  override forward(x: Tensor): Tensor {
    x.assertLive(`${this._typeName}.forward`);
    if (x.numel === 0) return x;
    if (isPerChannel(this.qscheme)) {
      const axis = this.ch_axis < 0 ? this.ch_axis + x.rank : this.ch_axis;
      if (axis < 0 || axis >= x.rank) {
        throw new Error(`${this._typeName}: ch_axis ${this.ch_axis} is out of range for input [${x.shape.join(', ')}]`);
      }
      const channels = x.shape[axis]!;
      if (this.min_val.numel !== channels) {
        if (this.min_val.numel !== 0) {
          throw new Error(
            `${this._typeName}: input [${x.shape.join(', ')}] has ${channels} channels on axis ${axis}, the observer has seen ${this.min_val.numel}`,
          );
        }
        this.reset_min_max_vals(channels);
      }
      observeMinMaxPerChannel(x, axis, this.min_val, this.max_val, this.averaging_constant);
    } else {
      observeMinMax(x, this.min_val, this.max_val, this.averaging_constant);
    }
    return x;
  }

  /** Forgets what was observed (per channel: `channels` channels at +inf/-inf, or none). */
  reset_min_max_vals(channels = 0): void {
    if (isPerChannel(this.qscheme)) {
      this.setBuffer('min_val', Tensor.fromArray(new Float32Array(channels).fill(Infinity), [channels]));
      this.setBuffer('max_val', Tensor.fromArray(new Float32Array(channels).fill(-Infinity), [channels]));
    } else {
      this.min_val.assign([Infinity]);
      this.max_val.assign([-Infinity]);
    }
  }

  protected override resizableBuffers(): readonly string[] {
    return isPerChannel(this.qscheme) ? ['min_val', 'max_val'] : [];
  }

  override extra_repr(): string {
    const avg = this.averaging_constant === null ? '' : `, averaging_constant=${this.averaging_constant}`;
    const axis = isPerChannel(this.qscheme) ? `, ch_axis=${this.ch_axis}` : '';
    return `${super.extra_repr()}${axis}${avg}`;
  }
}

/** MinMaxObserver(dtype=quint8, qscheme=per_tensor_affine, reduce_range=False, quant_min, quant_max, eps). */
export class MinMaxObserver extends MinMaxFamilyObserver {
  constructor(args: Partial<ObserverArgs> = {}) {
    super(args, { dtype: 'quint8', qscheme: 'per_tensor_affine', averaging_constant: null, perChannelClass: false });
  }
}

/** MovingAverageMinMaxObserver(averaging_constant=0.01, dtype=quint8, qscheme=per_tensor_affine, ...). */
export class MovingAverageMinMaxObserver extends MinMaxFamilyObserver {
  constructor(args: Partial<ObserverArgs> = {}) {
    super(args, { dtype: 'quint8', qscheme: 'per_tensor_affine', averaging_constant: 0.01, perChannelClass: false });
  }
}

/** PerChannelMinMaxObserver(ch_axis=0, dtype=qint8, qscheme=per_channel_affine, ...). */
export class PerChannelMinMaxObserver extends MinMaxFamilyObserver {
  constructor(args: Partial<ObserverArgs> = {}) {
    super(args, { dtype: 'qint8', qscheme: 'per_channel_affine', averaging_constant: null, perChannelClass: true });
  }
}

/** MovingAveragePerChannelMinMaxObserver(averaging_constant=0.01, ch_axis=0, dtype=qint8, qscheme=per_channel_affine, ...). */
export class MovingAveragePerChannelMinMaxObserver extends MinMaxFamilyObserver {
  constructor(args: Partial<ObserverArgs> = {}) {
    super(args, { dtype: 'qint8', qscheme: 'per_channel_affine', averaging_constant: 0.01, perChannelClass: true });
  }
}
