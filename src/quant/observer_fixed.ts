/**
 * FixedScaleObserver (Horizon): always the given scale and zero point, whatever flows through. Used to pin
 * a QuantStub's input scale or an add's output scale (`FakeQuantize.with_args({observer:
 * FixedScaleObserver, dtype: 'qint16', scale: 0.0625})`).
 */
import { Tensor } from '../engine/tensor';
import { COMMON_OPTIONS, ObserverBase, type ObserverArgs } from './observer_base';
import { copyQParams } from './kernels/qparams';

export class FixedScaleObserver extends ObserverBase {
  constructor(args: Partial<ObserverArgs> = {}) {
    super(args, [...COMMON_OPTIONS, 'scale', 'zero_point', 'averaging_constant', 'ch_axis'], {
      dtype: 'qint8',
      qscheme: 'per_tensor_symmetric',
      ch_axis: -1,
    });
    const scale = args.scale ?? 1;
    const zeroPoint = args.zero_point ?? 0;
    if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`FixedScaleObserver: scale must be a positive number (got ${scale})`);
    if (!Number.isInteger(zeroPoint) || zeroPoint < this.quant_min || zeroPoint > this.quant_max) {
      throw new Error(`FixedScaleObserver: zero_point ${zeroPoint} is not an integer in [${this.quant_min}, ${this.quant_max}]`);
    }
    this.setBuffer('scale', Tensor.fromArray([scale], [1]));
    this.setBuffer('zero_point', Tensor.fromArray([zeroPoint], [1], 'int32'));
  }

  get scale(): Tensor {
    return this.buffer('scale');
  }

  get zero_point(): Tensor {
    return this.buffer('zero_point');
  }

  override forward(x: Tensor): Tensor {
    return x;
  }

  override qparamsChannels(): number {
    return 1;
  }

  override writeQParams(scale: Tensor, zeroPoint: Tensor, packed: Tensor | null): void {
    copyQParams(this.scale, this.zero_point, scale, zeroPoint, packed);
  }

  override extra_repr(): string {
    return `${super.extra_repr()}, scale=[1], zero_point=[1]`;
  }
}
