/**
 * The observer base class, as torch.ao.quantization's UniformQuantizationObserverBase: an nn.Module
 * whose forward records statistics of what flows through it (on the GPU, no readback) and returns its
 * input; `calculate_qparams()` turns them into scale and zero point (GPU tensors).
 */
import { Tensor, keep } from '../engine/tensor';
import { Module, registerBuffer } from '../nn/module';
import { FLOAT32_EPS } from './numerics/float32';
import { calculateQminQmax, type QParamsConfig } from './numerics/qparams';
import { QRANGE, type QDType, type QScheme, isPerChannel, isSymmetric } from './types';
import { checkOptions, makeFactory, type Factory } from './with_args';
import { writeQParams } from './kernels/qparams';

/** Every option any observer takes (each class accepts its own subset and rejects the rest by name). */
export interface ObserverArgs {
  dtype: QDType;
  qscheme: QScheme;
  reduce_range: boolean;
  quant_min: number | null;
  quant_max: number | null;
  eps: number;
  /** Per-channel observers: the channel dimension. -1 means per tensor (Horizon's convention). */
  ch_axis: number;
  /** Moving-average observers: min += c * (batch_min - min). */
  averaging_constant: number;
  /** Accepted for PyTorch compatibility; dynamic quantization is not supported. */
  is_dynamic: boolean;
  /** HistogramObserver, PercentileObserver. */
  bins: number;
  /** HistogramObserver. */
  upsample_rate: number;
  /** MSEObserver: search stride over the 95 candidate ranges. */
  stride: number;
  /** PercentileObserver: percentile of |x| to clip at (0..100). */
  percentile: number;
  /** FixedScaleObserver. */
  scale: number;
  zero_point: number;
}

/** Anything with an observer's qparams API (observers, FakeQuantize's observer slot). */
export interface QParamsSource {
  calculate_qparams(): [Tensor, Tensor];
}

export const COMMON_OPTIONS = ['dtype', 'qscheme', 'reduce_range', 'quant_min', 'quant_max', 'eps', 'is_dynamic'] as const;

export abstract class ObserverBase extends Module implements QParamsSource {
  readonly dtype: QDType;
  readonly qscheme: QScheme;
  readonly reduce_range: boolean;
  readonly quant_min: number;
  readonly quant_max: number;
  readonly has_customized_qrange: boolean;
  readonly eps: number;
  readonly ch_axis: number;

  static with_args<C extends abstract new (args?: Partial<ObserverArgs>) => ObserverBase>(
    this: C,
    args: Partial<ObserverArgs> = {},
  ): Factory<InstanceType<C>, ObserverArgs> {
    return makeFactory(this as unknown as new (a: Partial<ObserverArgs>) => InstanceType<C>, args);
  }

  protected constructor(
    args: Partial<ObserverArgs>,
    options: readonly string[],
    defaults: { dtype: QDType; qscheme: QScheme; ch_axis: number },
  ) {
    super();
    const name = new.target.name;
    checkOptions(name, args, options);
    if (args.is_dynamic) throw new Error(`${name}: is_dynamic=true (dynamic quantization) is not supported`);
    this.dtype = args.dtype ?? defaults.dtype;
    if (!(this.dtype in QRANGE)) throw new Error(`${name}: unknown dtype '${String(this.dtype)}' (use qint8, quint8, qint16 or qint32)`);
    this.qscheme = args.qscheme ?? defaults.qscheme;
    this.reduce_range = args.reduce_range ?? false;
    const range = calculateQminQmax({
      dtype: this.dtype,
      quant_min: args.quant_min,
      quant_max: args.quant_max,
      reduce_range: this.reduce_range,
    });
    this.quant_min = range.quant_min;
    this.quant_max = range.quant_max;
    this.has_customized_qrange = range.has_customized_qrange;
    this.eps = args.eps ?? FLOAT32_EPS;
    this.ch_axis = args.ch_axis ?? defaults.ch_axis;
  }

  get is_per_channel(): boolean {
    return isPerChannel(this.qscheme);
  }

  get is_symmetric(): boolean {
    return isSymmetric(this.qscheme);
  }

  /** What the qparams kernel and the CPU reference need. */
  get qparamsConfig(): QParamsConfig {
    return {
      dtype: this.dtype,
      qscheme: this.qscheme,
      quant_min: this.quant_min,
      quant_max: this.quant_max,
      eps: this.eps,
      has_customized_qrange: this.has_customized_qrange,
    };
  }

  /** Records statistics of `x`; returns `x` unchanged. */
  abstract override forward(x: Tensor): Tensor;

  /** Channels the qparams have (1 per tensor; per channel, 0 before the first batch). */
  abstract qparamsChannels(): number;

  /** Writes scale (float32), zero point (int32) and, when given, the packed fake-quant parameters. */
  abstract writeQParams(scale: Tensor, zeroPoint: Tensor, packed: Tensor | null): void;

  /** [scale, zero_point] as new GPU tensors (float32 and int32), like PyTorch's calculate_qparams. */
  calculate_qparams(): [Tensor, Tensor] {
    const n = Math.max(1, this.qparamsChannels());
    const scale = new Tensor([n], 'float32');
    const zeroPoint = new Tensor([n], 'int32');
    this.writeQParams(scale, zeroPoint, null);
    return [scale, zeroPoint];
  }

  /** Replaces a buffer (a resize, as PyTorch's `min_val.resize_`), freeing the old one. */
  protected setBuffer(name: string, value: Tensor): Tensor {
    const old = this._buffers.get(name);
    if (old && old !== value) old.dispose();
    registerBuffer(this, name, keep(value));
    return value;
  }

  protected buffer(name: string): Tensor {
    const t = this._buffers.get(name);
    if (!t) throw new Error(`${this._typeName}: no buffer '${name}'`);
    return t;
  }

  /**
   * Called by load_state_dict when a checkpoint's buffer has another size than ours (per-channel state
   * before the first batch): the buffer takes the checkpoint's shape. Returns the new buffer, or null.
   */
  _resize_buffer_for_load(name: string, shape: readonly number[]): Tensor | null {
    const old = this._buffers.get(name);
    if (!old || !this.resizableBuffers().includes(name)) return null;
    return this.setBuffer(name, Tensor.zeros(shape, old.dtype));
  }

  /** Buffers whose size follows the data (per-channel min/max). */
  protected resizableBuffers(): readonly string[] {
    return [];
  }

  override extra_repr(): string {
    return `dtype=${this.dtype}, qscheme=${this.qscheme}, quant_min=${this.quant_min}, quant_max=${this.quant_max}`;
  }
}

/**
 * The shared tail of the MinMax family (and the observers that reduce to a min/max state): qparams from
 * the min_val/max_val buffers by the GPU kernel.
 */
export abstract class MinMaxStateObserver extends ObserverBase {
  get min_val(): Tensor {
    return this.buffer('min_val');
  }

  get max_val(): Tensor {
    return this.buffer('max_val');
  }

  override writeQParams(scale: Tensor, zeroPoint: Tensor, packed: Tensor | null): void {
    writeQParams(this.min_val, this.max_val, this.qparamsConfig, scale, zeroPoint, packed);
  }

  override qparamsChannels(): number {
    return this.min_val.numel;
  }

  override extra_repr(): string {
    return `${super.extra_repr()}, min_val=[${this.min_val.shape.join(', ')}], max_val=[${this.max_val.shape.join(', ')}]`;
  }
}
