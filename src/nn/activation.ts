import { F } from '../engine/functional';
import type { Tensor } from '../engine/tensor';
import { Module } from './module';

/** nn.ReLU({inplace}) — inplace is accepted for compatibility and has no effect. */
export class ReLU extends Module {
  constructor(_args: { inplace?: boolean } | boolean = {}) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return F.relu(x);
  }
}

export class ReLU6 extends Module {
  constructor(_args: { inplace?: boolean } | boolean = {}) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return F.relu6(x);
  }
}

/** nn.Dropout(p): zeroes elements with probability p while training, scales the rest by 1/(1-p). */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (p < 0 || p >= 1) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
  }

  override forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }

  override extra_repr(): string {
    return `p=${this.p}`;
  }
}

export class Softmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return F.softmax(x, this.dim);
  }
}
