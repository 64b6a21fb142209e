/**
 * LearnableFakeQuantize: LSQ, with the semantics of torch.ao.quantization._LearnableFakeQuantize. The
 * scale and zero point are Parameters trained by backprop (PyTorch's scale and zero-point gradients,
 * optional grad scaling 1/sqrt(numel * quant_max)); an observer can set them first ("static estimate").
 *
 * Modes, as PyTorch's toggles: enable_static_estimate (observe, set scale/zero point from the observer,
 * fake-quantize), enable_static_observation (observe only), enable_param_learning (learn, no observer).
 */
import { Tensor } from '../engine/tensor';
import { Parameter } from '../nn/module';
import { FLOAT32_EPS } from './numerics/float32';
import { FakeQuantizeBase, normalizeChAxis, type FakeQuantizeArgs } from './fake_quantize';
import { ObserverBase } from './observer_base';
import { MovingAverageMinMaxObserver } from './observer_minmax';
import { isSymmetric, type QDType, type QScheme } from './types';
import { instantiate } from './with_args';
import { learnableFakeQuantize } from './fake_quantize_function';
import { copyObserverQParamsToLearnable, clampScaleMin, zeroFill } from './kernels/lsq';

export interface LearnableFakeQuantizeArgs extends FakeQuantizeArgs {
  /** Initial scale and zero point (scale, zero_point are the LSQ parameters, not observer options). */
  scale: number;
  zero_point: number;
  use_grad_scaling: boolean;
}

export class LearnableFakeQuantize extends FakeQuantizeBase {
  readonly activation_post_process: ObserverBase;
  readonly dtype: QDType;
  readonly qscheme: QScheme;
  readonly ch_axis: number;
  readonly quant_min: number;
  readonly quant_max: number;
  readonly use_grad_scaling: boolean;
  readonly eps: number;
  scale: Parameter;
  zero_point: Parameter;
  /** Observer sets scale/zero point (PyTorch's static_enabled). */
  static_enabled = true;
  learning_enabled = false;

  constructor(args: Partial<LearnableFakeQuantizeArgs> = {}) {
    super();
    const {
      observer = MovingAverageMinMaxObserver,
      scale = 1,
      zero_point = 0,
      channel_len = -1,
      use_grad_scaling = false,
      ...observerArgs
    } = args;
    this.activation_post_process = instantiate(observer, observerArgs);
    const obs = this.activation_post_process;
    this.dtype = obs.dtype;
    this.qscheme = obs.qscheme;
    this.ch_axis = obs.ch_axis;
    this.quant_min = obs.quant_min;
    this.quant_max = obs.quant_max;
    this.eps = obs.eps;
    this.use_grad_scaling = use_grad_scaling;
    if (this.quant_min >= this.quant_max) throw new Error('LearnableFakeQuantize: quant_min must be strictly less than quant_max');
    const n = channel_len > 0 ? channel_len : 1;
    if (this.is_per_channel && channel_len <= 0) {
      throw new Error(`LearnableFakeQuantize: a per-channel qscheme (${this.qscheme}) needs channel_len, the number of channels`);
    }
    this.scale = Parameter(new Float32Array(n).fill(scale), [n]);
    this.zero_point = Parameter(new Float32Array(n).fill(zero_point), [n]);
    this.scale.name = 'scale';
    this.zero_point.name = 'zero_point';
    this.enable_static_estimate();
  }

  /** Learn scale and zero point; the observer is off. */
  enable_param_learning(): this {
    this.toggle_qparam_learning(true).toggle_fake_quant(true).toggle_observer_update(false);
    return this;
  }

  /** The observer sets scale and zero point, and outputs are fake-quantized. */
  enable_static_estimate(): this {
    this.toggle_qparam_learning(false).toggle_fake_quant(true).toggle_observer_update(true);
    return this;
  }

  /** The observer sets scale and zero point; outputs pass through. */
  enable_static_observation(): this {
    this.toggle_qparam_learning(false).toggle_fake_quant(false).toggle_observer_update(true);
    return this;
  }

  toggle_observer_update(enabled = true): this {
    this.static_enabled = enabled;
    this.observer_enabled = enabled;
    return this;
  }

  toggle_qparam_learning(enabled = true): this {
    this.learning_enabled = enabled;
    this.scale.requiresGrad = enabled;
    this.zero_point.requiresGrad = enabled;
    return this;
  }

  toggle_fake_quant(enabled = true): this {
    this.fake_quant_enabled = enabled;
    return this;
  }

  override enable_observer(enabled = true): this {
    return this.toggle_observer_update(enabled);
  }

  override calculate_qparams(): [Tensor, Tensor] {
    return this.activation_post_process.calculate_qparams();
  }

  override forward(x: Tensor): Tensor {
    this.checkState('');
    if (this.static_enabled && this.training) {
      this.activation_post_process(x);
      copyObserverQParamsToLearnable(this.activation_post_process, this.scale, this.zero_point);
    } else {
      clampScaleMin(this.scale, this.eps ?? FLOAT32_EPS);
    }
    if (!this.fake_quant_enabled) return x;
    if (isSymmetric(this.qscheme)) zeroFill(this.zero_point);
    const gradFactor = this.use_grad_scaling ? 1 / Math.sqrt(x.numel * this.quant_max) : 1;
    const axis = this.is_per_channel ? normalizeChAxis(this.ch_axis, x, this._typeName) : null;
    const channels = axis === null ? 1 : x.shape[axis]!;
    if (this.scale.numel !== channels) {
      throw new Error(`${this._typeName}: input [${x.shape.join(', ')}] has ${channels} channels on axis ${axis}, scale has ${this.scale.numel}`);
    }
    return learnableFakeQuantize(x, this.scale, this.zero_point, this.quant_min, this.quant_max, axis, gradFactor);
  }

  override extra_repr(): string {
    return (
      `fake_quant_enabled=${this.fake_quant_enabled}, observer_enabled=${this.static_enabled}, learning_enabled=${this.learning_enabled}, ` +
      `quant_min=${this.quant_min}, quant_max=${this.quant_max}, dtype=${this.dtype}, qscheme=${this.qscheme}, ch_axis=${this.ch_axis}, ` +
      `use_grad_scaling=${this.use_grad_scaling}`
    );
  }
}
