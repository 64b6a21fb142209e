/**
 * Fused modules, as torch.ao.nn.intrinsic and the Horizon plugin name them: conv or linear, optionally
 * followed by BatchNorm, an add of another tensor, and ReLU/ReLU6, treated as one op so quantization
 * observes only the final output (the hardware keeps the intermediate results in high precision).
 *
 * In float, a fused ConvBn still runs its BatchNorm (it may still be training); `fold_bn()` gives the
 * equivalent module with the BatchNorm folded into the conv weight and bias (running statistics), for
 * evaluation and conversion. QAT versions (quant/qat_modules.ts) fold BN with batch statistics while
 * training and running statistics when frozen.
 */
import { F } from '../engine/functional';
import type { Tensor } from '../engine/tensor';
import { Module, Parameter, callModule } from './module';
import { shallowCloneModule } from '../graph/clone';
import { Conv2d } from './conv';
import { Linear } from './linear';
import { BatchNorm2d } from './norm';
import { ReLU, ReLU6 } from './activation';

export type FusedActivation = ReLU | ReLU6;

/**
 * conv [+ bn] [+ add] [+ relu/relu6]. Children `conv`, `bn`, `relu` (absent ones are not attributes), so
 * state_dict keys read `<name>.conv.weight`, `<name>.bn.running_mean`.
 */
export abstract class FusedConv2d extends Module {
  /** Whether forward takes a second tensor that is added after conv (+bn). */
  static readonly hasAdd: boolean = false;
  conv!: Conv2d;
  bn?: BatchNorm2d;
  relu?: FusedActivation;
  /** The names the fused modules had in the model (for messages and the check table). */
  fused_names: string[] = [];

  constructor(conv: Conv2d, bn: BatchNorm2d | null, relu: FusedActivation | null) {
    super();
    this.conv = conv;
    if (bn) {
      if (bn.num_features !== conv.out_channels) {
        throw new Error(`${new.target.name}: BatchNorm2d(${bn.num_features}) does not match Conv2d out_channels ${conv.out_channels}`);
      }
      this.bn = bn;
    }
    if (relu) this.relu = relu;
  }

  get hasAdd(): boolean {
    return (this.constructor as typeof FusedConv2d).hasAdd;
  }

  override forward(x: Tensor, y?: Tensor): Tensor {
    let out = this.conv(x) as Tensor;
    if (this.bn) out = this.bn(out) as Tensor;
    if (this.hasAdd) {
      if (!y) throw new Error(`${this._typeName}: forward needs the tensor to add as its second input`);
      out = F.add(out, y);
    }
    if (this.relu) out = this.relu(out) as Tensor;
    return out;
  }

  /** Horizon's eager style calls a fused add through the FloatFunctional it replaced: `self.add.add(x, y)`. */
  add(x: Tensor, y: Tensor): Tensor {
    return callModule(this, 'forward', [x, y]) as Tensor;
  }

  /** The same computation with BN folded into the conv (running statistics); no BN, same class family. */
  async fold_bn(): Promise<Module> {
    if (!this.bn) return this;
    const conv = await foldConvBn(this.conv, this.bn);
    const cls = fusedConvClass(false, this.hasAdd, this.relu ? (this.relu instanceof ReLU6 ? 'relu6' : 'relu') : null);
    const folded = cls ? new cls(conv, null, this.relu ?? null) : conv;
    if (folded instanceof FusedConv2d) folded.fused_names = [...this.fused_names];
    return folded;
  }
}

/** linear [+ add] [+ relu/relu6] (there is no BatchNorm1d in the DSL). */
export abstract class FusedLinear extends Module {
  static readonly hasAdd: boolean = false;
  linear!: Linear;
  relu?: FusedActivation;
  fused_names: string[] = [];

  constructor(linear: Linear, relu: FusedActivation | null) {
    super();
    this.linear = linear;
    if (relu) this.relu = relu;
  }

  get hasAdd(): boolean {
    return (this.constructor as typeof FusedLinear).hasAdd;
  }

  override forward(x: Tensor, y?: Tensor): Tensor {
    let out = this.linear(x) as Tensor;
    if (this.hasAdd) {
      if (!y) throw new Error(`${this._typeName}: forward needs the tensor to add as its second input`);
      out = F.add(out, y);
    }
    if (this.relu) out = this.relu(out) as Tensor;
    return out;
  }

  add(x: Tensor, y: Tensor): Tensor {
    return callModule(this, 'forward', [x, y]) as Tensor;
  }
}

export class ConvBn2d extends FusedConv2d {}
export class ConvBnReLU2d extends FusedConv2d {}
export class ConvBnReLU62d extends FusedConv2d {}
export class ConvReLU2d extends FusedConv2d {}
export class ConvReLU62d extends FusedConv2d {}
export class ConvAdd2d extends FusedConv2d {
  static override readonly hasAdd = true;
}
export class ConvAddReLU2d extends FusedConv2d {
  static override readonly hasAdd = true;
}
export class ConvAddReLU62d extends FusedConv2d {
  static override readonly hasAdd = true;
}
export class ConvBnAdd2d extends FusedConv2d {
  static override readonly hasAdd = true;
}
export class ConvBnAddReLU2d extends FusedConv2d {
  static override readonly hasAdd = true;
}
export class ConvBnAddReLU62d extends FusedConv2d {
  static override readonly hasAdd = true;
}
export class LinearReLU extends FusedLinear {}
export class LinearReLU6 extends FusedLinear {}
export class LinearAdd extends FusedLinear {
  static override readonly hasAdd = true;
}
export class LinearAddReLU extends FusedLinear {
  static override readonly hasAdd = true;
}
export class LinearAddReLU6 extends FusedLinear {
  static override readonly hasAdd = true;
}

type FusedConvClass = new (conv: Conv2d, bn: BatchNorm2d | null, relu: FusedActivation | null) => FusedConv2d;
type FusedLinearClass = new (linear: Linear, relu: FusedActivation | null) => FusedLinear;

export const FUSED_CONV_CLASSES: readonly FusedConvClass[] = [
  ConvBn2d, ConvBnReLU2d, ConvBnReLU62d, ConvReLU2d, ConvReLU62d, ConvAdd2d, ConvAddReLU2d, ConvAddReLU62d,
  ConvBnAdd2d, ConvBnAddReLU2d, ConvBnAddReLU62d,
];
export const FUSED_LINEAR_CLASSES: readonly FusedLinearClass[] = [LinearReLU, LinearReLU6, LinearAdd, LinearAddReLU, LinearAddReLU6];

/** The fused conv class for a combination, or null for a bare conv (nothing to fuse). */
export function fusedConvClass(bn: boolean, add: boolean, relu: 'relu' | 'relu6' | null): FusedConvClass | null {
  const name = `Conv${bn ? 'Bn' : ''}${add ? 'Add' : ''}${relu === 'relu' ? 'ReLU' : relu === 'relu6' ? 'ReLU6' : ''}2d`;
  return FUSED_CONV_CLASSES.find((c) => c.name === name) ?? null;
}

export function fusedLinearClass(add: boolean, relu: 'relu' | 'relu6' | null): FusedLinearClass | null {
  const name = `Linear${add ? 'Add' : ''}${relu === 'relu' ? 'ReLU' : relu === 'relu6' ? 'ReLU6' : ''}`;
  return FUSED_LINEAR_CLASSES.find((c) => c.name === name) ?? null;
}

/**
 * BN folded into conv weight and bias (running statistics):
 * w' = w·γ/√(σ²+ε) per output channel, b' = (b − μ)·γ/√(σ²+ε) + β. Plain arrays; `weight` is [O, ...].
 */
export function foldBnParams(
  weight: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  bn: { mean: ArrayLike<number>; var: ArrayLike<number>; gamma: ArrayLike<number> | null; beta: ArrayLike<number> | null; eps: number },
): { weight: Float32Array; bias: Float32Array } {
  const channels = bn.mean.length;
  const per = weight.length / channels;
  const w = new Float32Array(weight.length);
  const b = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const gamma = bn.gamma ? bn.gamma[c]! : 1;
    const beta = bn.beta ? bn.beta[c]! : 0;
    const scale = gamma / Math.sqrt(bn.var[c]! + bn.eps);
    for (let i = 0; i < per; i++) w[c * per + i] = weight[c * per + i]! * scale;
    b[c] = ((bias ? bias[c]! : 0) - bn.mean[c]!) * scale + beta;
  }
  return { weight: w, bias: b };
}

/** A new Conv2d computing conv followed by bn in eval mode. Reads the parameters back (small tensors). */
export async function foldConvBn(conv: Conv2d, bn: BatchNorm2d): Promise<Conv2d> {
  const [weight, bias, mean, variance, gamma, beta] = await Promise.all([
    conv.weight.read(),
    conv.bias ? conv.bias.read() : Promise.resolve(null),
    bn.running_mean.read(),
    bn.running_var.read(),
    bn.weight ? bn.weight.read() : Promise.resolve(null),
    bn.bias ? bn.bias.read() : Promise.resolve(null),
  ]);
  const folded = foldBnParams(weight, bias, { mean, var: variance, gamma, beta, eps: bn.eps });

  // A copy of the conv (same settings, no re-initialisation) with new parameters holding the folded values.
  const folded_conv = shallowCloneModule<Conv2d>(conv);
  folded_conv.weight = Parameter(folded.weight, conv.weight.shape);
  folded_conv.bias = Parameter(folded.bias, [conv.out_channels]);
  return folded_conv;
}
