import { F } from '../engine/functional';
import { Tensor } from '../engine/tensor';
import { Module, Parameter, registerBuffer } from './module';

export interface BatchNormArgs {
  eps?: number;
  momentum?: number;
  affine?: boolean;
  track_running_stats?: boolean;
}

/** nn.BatchNorm2d(num_features, {eps, momentum, affine, track_running_stats}). */
export class BatchNorm2d extends Module {
  readonly num_features: number;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(num_features: number, args: BatchNormArgs = {}) {
    super();
    this.num_features = num_features;
    this.eps = args.eps ?? 1e-5;
    this.momentum = args.momentum ?? 0.1;
    this.affine = args.affine ?? true;
    this.weight = this.affine ? Parameter(new Float32Array(num_features).fill(1), [num_features]) : null;
    this.bias = this.affine ? Parameter(new Float32Array(num_features), [num_features]) : null;
    registerBuffer(this, 'running_mean', Tensor.zeros([num_features]));
    registerBuffer(this, 'running_var', Tensor.fromArray(new Float32Array(num_features).fill(1), [num_features]));
  }

  get running_mean(): Tensor {
    return this._buffers.get('running_mean')!;
  }

  get running_var(): Tensor {
    return this._buffers.get('running_var')!;
  }

  override forward(x: Tensor): Tensor {
    return F.batch_norm(x, this.running_mean, this.running_var, this.weight, this.bias, {
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
    });
  }

  override extra_repr(): string {
    return `${this.num_features}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine ? 'True' : 'False'}`;
  }
}

/** nn.LayerNorm(normalized_shape, {eps, elementwise_affine}). */
export class LayerNorm extends Module {
  readonly normalized_shape: number[];
  readonly eps: number;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalized_shape: number | readonly number[], args: { eps?: number; elementwise_affine?: boolean } = {}) {
    super();
    this.normalized_shape = typeof normalized_shape === 'number' ? [normalized_shape] : [...normalized_shape];
    this.eps = args.eps ?? 1e-5;
    const n = this.normalized_shape.reduce((a, b) => a * b, 1);
    const affine = args.elementwise_affine ?? true;
    this.weight = affine ? Parameter(new Float32Array(n).fill(1), this.normalized_shape) : null;
    this.bias = affine ? Parameter(new Float32Array(n), this.normalized_shape) : null;
  }

  override forward(x: Tensor): Tensor {
    return F.layer_norm(x, this.normalized_shape, this.weight, this.bias, this.eps);
  }

  override extra_repr(): string {
    return `(${this.normalized_shape.join(', ')},), eps=${this.eps}`;
  }
}
