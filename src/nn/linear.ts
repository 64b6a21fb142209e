import { F } from '../engine/functional';
import type { Tensor } from '../engine/tensor';
import { biasUniform, kaimingUniformDefault } from './init';
import { Module, Parameter } from './module';

/** nn.Linear(in_features, out_features, {bias}). */
export class Linear extends Module {
  readonly in_features: number;
  readonly out_features: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(in_features: number, out_features: number, args: { bias?: boolean } = {}) {
    super();
    this.in_features = in_features;
    this.out_features = out_features;
    this.weight = Parameter(kaimingUniformDefault(in_features * out_features, in_features), [out_features, in_features]);
    this.bias = args.bias === false ? null : Parameter(biasUniform(out_features, in_features), [out_features]);
  }

  override forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }

  override extra_repr(): string {
    return `in_features=${this.in_features}, out_features=${this.out_features}, bias=${this.bias ? 'True' : 'False'}`;
  }
}

/** nn.Identity: returns its input (fusion leaves one where a fused module used to be). */
export class Identity extends Module {
  override forward<T>(x: T): T {
    return x;
  }
}
