/**
 * FakeQuantize, as torch.ao.quantization.FakeQuantize with the Horizon toolchain's state semantics:
 * an nn.Module holding an observer (`activation_post_process`) and the current `scale`/`zero_point`.
 *
 *   forward(x): if the observer is enabled and the module is in train mode, observe x and refresh
 *               scale/zero_point (GPU, no readback); if fake quant is enabled, return the fake-quantized x
 *               (straight-through gradient), else x itself.
 *
 * Observers update only in train mode (Horizon's rule): set_fake_quantize(CALIBRATION) puts the fake
 * quantizers in train mode inside an eval model; VALIDATION leaves them in eval, so scales stay frozen.
 */
import { Tensor } from '../engine/tensor';
import { Module, registerBuffer } from '../nn/module';
import { ObserverBase, type ObserverArgs } from './observer_base';
import { MovingAverageMinMaxObserver } from './observer_minmax';
import { FakeQuantState, isPerChannel, type QDType, type QScheme } from './types';
import { instantiate, makeFactory, type ClassOrFactory, type Factory } from './with_args';
import { packQParams } from './kernels/qparams';
import { packedShape } from './kernels/fake_quantize';
import { fakeQuantize } from './fake_quantize_function';

export type ObserverClassOrFactory = ClassOrFactory<ObserverBase, ObserverArgs>;

export interface FakeQuantizeArgs extends ObserverArgs {
  /** The observer class or factory (default MovingAverageMinMaxObserver); the other options go to it. */
  observer: ObserverClassOrFactory;
  /**
   * Per channel: the number of channels, so scale/zero_point have their size before the first batch (a
   * checkpoint loads into them). Horizon's FakeQuantize option; -1 (default) sizes them on first use.
   */
  channel_len: number;
}

/** What set_fake_quantize and the enable/disable helpers work on. */
export abstract class FakeQuantizeBase extends Module {
  fake_quant_enabled = true;
  observer_enabled = true;
  /** The state set_fake_quantize put this module in (null: never set). */
  fake_quant_state: FakeQuantState | null = null;

  static with_args<C extends abstract new (args?: Partial<FakeQuantizeArgs>) => FakeQuantizeBase>(
    this: C,
    args: Partial<FakeQuantizeArgs> = {},
  ): Factory<InstanceType<C>, FakeQuantizeArgs> {
    return makeFactory(this as unknown as new (a: Partial<FakeQuantizeArgs>) => InstanceType<C>, args);
  }

  abstract readonly dtype: QDType;
  abstract readonly qscheme: QScheme;
  abstract readonly ch_axis: number;
  abstract readonly quant_min: number;
  abstract readonly quant_max: number;
  abstract readonly activation_post_process: ObserverBase;

  abstract calculate_qparams(): [Tensor, Tensor];

  enable_fake_quant(enabled = true): this {
    this.fake_quant_enabled = enabled;
    return this;
  }

  disable_fake_quant(): this {
    return this.enable_fake_quant(false);
  }

  enable_observer(enabled = true): this {
    this.observer_enabled = enabled;
    return this;
  }

  disable_observer(): this {
    return this.enable_observer(false);
  }

  get is_per_channel(): boolean {
    return isPerChannel(this.qscheme);
  }

  /** The misuse Horizon's "common problems" warn of: calibrating after model.eval() undid set_fake_quantize. */
  protected checkState(path: string): void {
    if (this.fake_quant_state === FakeQuantState.CALIBRATION && !this.training && this.observer_enabled) {
      throw new Error(
        `${path || this._typeName}: in CALIBRATION state but in eval mode, so its observer would record nothing and the scale would stay 1. ` +
          'model.eval() was probably called after set_fake_quantize: call model.eval() first, then set_fake_quantize(model, FakeQuantState.CALIBRATION).',
      );
    }
  }
}

export class FakeQuantize extends FakeQuantizeBase {
  readonly activation_post_process: ObserverBase;
  readonly dtype: QDType;
  readonly qscheme: QScheme;
  readonly ch_axis: number;
  readonly quant_min: number;
  readonly quant_max: number;

  constructor(args: Partial<FakeQuantizeArgs> = {}) {
    super();
    const { observer = MovingAverageMinMaxObserver, channel_len = -1, ...observerArgs } = args;
    this.activation_post_process = instantiate(observer, observerArgs);
    if (!(this.activation_post_process instanceof ObserverBase)) {
      throw new Error('FakeQuantize: observer= must be an observer class or its with_args(...) factory');
    }
    const obs = this.activation_post_process;
    this.dtype = obs.dtype;
    this.qscheme = obs.qscheme;
    this.ch_axis = obs.ch_axis;
    this.quant_min = obs.quant_min;
    this.quant_max = obs.quant_max;
    const n = this.is_per_channel && channel_len > 0 ? channel_len : 1;
    registerBuffer(this, 'scale', Tensor.fromArray(new Float32Array(n).fill(1), [n]));
    registerBuffer(this, 'zero_point', Tensor.zeros([n], 'int32'));
  }

  get scale(): Tensor {
    return this._buffers.get('scale')!;
  }

  get zero_point(): Tensor {
    return this._buffers.get('zero_point')!;
  }

  override forward(x: Tensor): Tensor {
    this.checkState('');
    // The packed kernel parameters are a fresh tensor of this call's scope: the backward reads them after
    // later calls may have moved scale/zero_point.
    let packed: Tensor | null = null;
    if (this.observer_enabled && this.training) {
      this.activation_post_process(x);
      packed = this.refreshQParams();
    }
    if (!this.fake_quant_enabled) {
      packed?.dispose();
      return x;
    }
    const axis = this.is_per_channel ? normalizeChAxis(this.ch_axis, x, this._typeName) : null;
    const channels = axis === null ? 1 : x.shape[axis]!;
    if (this.scale.numel !== channels) {
      throw new Error(
        `${this._typeName}: input [${x.shape.join(', ')}] has ${channels} channels on axis ${axis}, but scale has ${this.scale.numel} values ` +
          '(run calibration or load a checkpoint first)',
      );
    }
    // scale/zero_point may have been loaded or set by hand since the observer last wrote them.
    packed ??= packQParams(this.scale, this.zero_point, null);
    return fakeQuantize(x, packed, this.quant_min, this.quant_max, axis);
  }

  /** scale/zero_point (and the packed copy the kernel reads) from the observer, resized to its channels, on the GPU. */
  private refreshQParams(): Tensor {
    const n = Math.max(1, this.activation_post_process.qparamsChannels());
    if (this.scale.numel !== n) {
      this.replaceBuffer('scale', Tensor.fromArray(new Float32Array(n).fill(1), [n]));
      this.replaceBuffer('zero_point', Tensor.zeros([n], 'int32'));
    }
    const packed = new Tensor(packedShape(n), 'float32');
    this.activation_post_process.writeQParams(this.scale, this.zero_point, packed);
    return packed;
  }

  override calculate_qparams(): [Tensor, Tensor] {
    return this.activation_post_process.calculate_qparams();
  }

  private replaceBuffer(name: string, value: Tensor): Tensor {
    this._buffers.get(name)?.dispose();
    registerBuffer(this, name, value);
    return value;
  }

  /** load_state_dict of a per-channel checkpoint into a module that has not seen data yet. */
  _resize_buffer_for_load(name: string, shape: readonly number[]): Tensor | null {
    if (name !== 'scale' && name !== 'zero_point') return null;
    const old = this._buffers.get(name)!;
    return this.replaceBuffer(name, Tensor.zeros(shape, old.dtype));
  }

  override extra_repr(): string {
    return (
      `fake_quant_enabled=${this.fake_quant_enabled}, observer_enabled=${this.observer_enabled}, ` +
      `quant_min=${this.quant_min}, quant_max=${this.quant_max}, dtype=${this.dtype}, qscheme=${this.qscheme}, ch_axis=${this.ch_axis}`
    );
  }
}

export function normalizeChAxis(chAxis: number, x: Tensor, owner: string): number {
  const axis = chAxis < 0 ? chAxis + x.rank : chAxis;
  if (axis < 0 || axis >= x.rank) throw new Error(`${owner}: ch_axis ${chAxis} is out of range for input [${x.shape.join(', ')}]`);
  return axis;
}
