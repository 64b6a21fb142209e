/**
 * The optimizer base, as torch.optim.Optimizer: parameter groups with their own lr (schedulers change
 * `param_groups[i].lr`), `step()` and `zero_grad()`. Each step runs one fused kernel per parameter and
 * never reads back. Optimizer state (momentum, Adam moments) is kept on the GPU.
 */
import type { Tensor } from '../engine/tensor';
import { zero_grad } from '../engine/autograd';

export interface ParamGroup {
  params: Tensor[];
  lr: number;
  /** The lr the group started with (schedulers scale from it), as PyTorch's `initial_lr`. */
  initial_lr: number;
  weight_decay: number;
}

export abstract class Optimizer {
  readonly param_groups: ParamGroup[];
  /** Steps taken. */
  step_count = 0;

  constructor(params: Iterable<Tensor>, defaults: { lr: number; weight_decay?: number }) {
    const list = [...params];
    if (list.length === 0) throw new Error(`${this.constructor.name}: got an empty parameter list`);
    if (!(defaults.lr >= 0)) throw new Error(`${this.constructor.name}: invalid learning rate ${defaults.lr}`);
    this.param_groups = [{ params: list, lr: defaults.lr, initial_lr: defaults.lr, weight_decay: defaults.weight_decay ?? 0 }];
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    for (const group of this.param_groups) {
      for (const p of group.params) {
        if (!p.grad) continue;
        this.update(p, p.grad, group);
      }
    }
    this.step_count++;
  }

  protected abstract update(param: Tensor, grad: Tensor, group: ParamGroup): void;

  zero_grad(): void {
    for (const group of this.param_groups) zero_grad(group.params);
  }

  /** Frees the optimizer state (momentum buffers, moments). */
  abstract dispose(): void;
}
