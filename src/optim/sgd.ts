/**
 * torch.optim.SGD(params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False), fused: one
 * kernel per parameter updates the momentum buffer and the parameter in place.
 */
import sgdWgsl from '../../shaders/sgd.wgsl?raw';
import { Tensor, keep } from '../engine/tensor';
import { launchVec4 } from '../engine/kernels/launch';
import { Optimizer, type ParamGroup } from './optimizer';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weight_decay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  private readonly buffers = new Map<Tensor, Tensor>();

  constructor(params: Iterable<Tensor>, options: SGDOptions) {
    super(params, options);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.nesterov = options.nesterov ?? false;
    if (this.momentum < 0) throw new Error(`SGD: invalid momentum value ${this.momentum}`);
    if ((options.weight_decay ?? 0) < 0) throw new Error(`SGD: invalid weight_decay value ${options.weight_decay}`);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new Error('SGD: Nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected update(param: Tensor, grad: Tensor, group: ParamGroup): void {
    let buffer = this.buffers.get(param);
    const first = !buffer;
    if (!buffer) {
      // Written in full by the first step (buf = g), so it needs no clearing.
      buffer = keep(new Tensor(param.shape));
      this.buffers.set(param, buffer);
    }
    launchVec4('sgd', () => sgdWgsl, [param.buffer, grad.buffer, buffer.buffer], param.numel, (u) =>
      u.f32(group.lr, this.momentum, this.dampening, group.weight_decay).u32(this.nesterov ? 1 : 0, first ? 1 : 0),
    );
  }

  /** The momentum buffer of a parameter (after its first step), as state[p]['momentum_buffer']. */
  momentumBuffer(param: Tensor): Tensor | null {
    return this.buffers.get(param) ?? null;
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
