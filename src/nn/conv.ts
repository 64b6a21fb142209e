import { F, pair, type IntPair } from '../engine/functional';
import type { Tensor } from '../engine/tensor';
import { biasUniform, kaimingUniformDefault } from './init';
import { Module, Parameter } from './module';

export interface Conv2dArgs {
  stride?: IntPair;
  padding?: IntPair;
  dilation?: IntPair;
  groups?: number;
  bias?: boolean;
}

/** nn.Conv2d(in_channels, out_channels, kernel_size, {stride, padding, dilation, groups, bias}). */
export class Conv2d extends Module {
  readonly in_channels: number;
  readonly out_channels: number;
  readonly kernel_size: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(in_channels: number, out_channels: number, kernel_size: IntPair, args: Conv2dArgs = {}) {
    super();
    const groups = args.groups ?? 1;
    if (in_channels % groups !== 0 || out_channels % groups !== 0) {
      throw new Error(`Conv2d: in_channels (${in_channels}) and out_channels (${out_channels}) must be divisible by groups (${groups})`);
    }
    this.in_channels = in_channels;
    this.out_channels = out_channels;
    this.kernel_size = pair(kernel_size);
    this.stride = pair(args.stride ?? 1);
    this.padding = pair(args.padding ?? 0);
    this.dilation = pair(args.dilation ?? 1);
    this.groups = groups;
    const [kh, kw] = this.kernel_size;
    const fanIn = (in_channels / groups) * kh * kw;
    const shape = [out_channels, in_channels / groups, kh, kw];
    this.weight = Parameter(kaimingUniformDefault(shape.reduce((a, b) => a * b), fanIn), shape);
    this.bias = args.bias === false ? null : Parameter(biasUniform(out_channels, fanIn), [out_channels]);
  }

  override forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override extra_repr(): string {
    const parts = [`${this.in_channels}, ${this.out_channels}, kernel_size=(${this.kernel_size.join(', ')})`];
    parts.push(`stride=(${this.stride.join(', ')})`);
    if (this.padding.some((p) => p !== 0)) parts.push(`padding=(${this.padding.join(', ')})`);
    if (this.dilation.some((d) => d !== 1)) parts.push(`dilation=(${this.dilation.join(', ')})`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (!this.bias) parts.push('bias=False');
    return parts.join(', ');
  }
}
