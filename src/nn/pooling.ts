import { F, pair, type IntPair } from '../engine/functional';
import type { Tensor } from '../engine/tensor';
import { Module } from './module';

export interface Pool2dArgs {
  stride?: IntPair | null;
  padding?: IntPair;
}

/** nn.MaxPool2d(kernel_size, {stride, padding}); stride defaults to kernel_size. */
export class MaxPool2d extends Module {
  readonly kernel_size: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(kernel_size: IntPair, args: Pool2dArgs = {}) {
    super();
    this.kernel_size = pair(kernel_size);
    this.stride = pair(args.stride ?? kernel_size);
    this.padding = pair(args.padding ?? 0);
  }

  override forward(x: Tensor): Tensor {
    return F.max_pool2d(x, this.kernel_size, { stride: this.stride, padding: this.padding });
  }

  override extra_repr(): string {
    return `kernel_size=${this.kernel_size[0]}, stride=${this.stride[0]}, padding=${this.padding[0]}`;
  }
}

/** nn.AvgPool2d(kernel_size, {stride, padding}). */
export class AvgPool2d extends Module {
  readonly kernel_size: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(kernel_size: IntPair, args: Pool2dArgs = {}) {
    super();
    this.kernel_size = pair(kernel_size);
    this.stride = pair(args.stride ?? kernel_size);
    this.padding = pair(args.padding ?? 0);
  }

  override forward(x: Tensor): Tensor {
    return F.avg_pool2d(x, this.kernel_size, { stride: this.stride, padding: this.padding });
  }
}

/** nn.AdaptiveAvgPool2d(output_size). */
export class AdaptiveAvgPool2d extends Module {
  readonly output_size: [number, number];

  constructor(output_size: IntPair) {
    super();
    this.output_size = pair(output_size);
  }

  override forward(x: Tensor): Tensor {
    return F.adaptive_avg_pool2d(x, this.output_size);
  }
}

/** nn.Flatten({start_dim, end_dim}); defaults 1 and -1 as in PyTorch. */
export class Flatten extends Module {
  constructor(readonly start_dim = 1, readonly end_dim = -1) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return F.flatten(x, this.start_dim, this.end_dim);
  }
}
