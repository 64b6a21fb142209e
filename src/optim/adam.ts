/**
 * torch.optim.Adam and AdamW (betas, eps, weight_decay, amsgrad), fused: one kernel per parameter
 * updates both moments and the parameter in place. Adam adds weight decay to the gradient (L2); AdamW
 * decays the parameter directly.
 */
import adamWgsl from '../../shaders/adam.wgsl?raw';
import { Tensor, keep } from '../engine/tensor';
import { launchVec4 } from '../engine/kernels/launch';
import { fillInto } from '../engine/kernels/elementwise';
import { Optimizer, type ParamGroup } from './optimizer';

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weight_decay?: number;
  amsgrad?: boolean;
}

interface AdamState {
  step: number;
  expAvg: Tensor;
  expAvgSq: Tensor;
  maxExpAvgSq: Tensor | null;
}

export class Adam extends Optimizer {
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly amsgrad: boolean;
  protected readonly decoupled: boolean = false;
  private readonly state = new Map<Tensor, AdamState>();
  // Bound in place of max_exp_avg_sq without amsgrad: two writable bindings of one buffer are not allowed.
  private placeholder: Tensor | null = null;

  constructor(params: Iterable<Tensor>, options: AdamOptions = {}, defaultWeightDecay = 0) {
    super(params, { lr: options.lr ?? 1e-3, weight_decay: options.weight_decay ?? defaultWeightDecay });
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.amsgrad = options.amsgrad ?? false;
    for (const [i, b] of this.betas.entries()) {
      if (!(b >= 0 && b < 1)) throw new Error(`${this.constructor.name}: invalid beta parameter at index ${i}: ${b}`);
    }
  }

  protected update(param: Tensor, grad: Tensor, group: ParamGroup): void {
    let s = this.state.get(param);
    if (!s) {
      const zeros = () => {
        const t = keep(new Tensor(param.shape));
        fillInto(t, 0);
        return t;
      };
      s = { step: 0, expAvg: zeros(), expAvgSq: zeros(), maxExpAvgSq: this.amsgrad ? zeros() : null };
      this.state.set(param, s);
    }
    s.step++;
    const [beta1, beta2] = this.betas;
    const biasCorrection1 = 1 - beta1 ** s.step;
    const biasCorrection2 = 1 - beta2 ** s.step;
    const max = s.maxExpAvgSq ?? (this.placeholder ??= keep(new Tensor([4])));
    launchVec4('adam', () => adamWgsl, [param.buffer, grad.buffer, s.expAvg.buffer, s.expAvgSq.buffer, max.buffer], param.numel, (u) =>
      u
        .f32(group.lr, beta1, beta2, this.eps, group.weight_decay)
        .u32(this.decoupled ? 1 : 0, this.amsgrad ? 1 : 0)
        .f32(group.lr / biasCorrection1, Math.sqrt(biasCorrection2)),
    );
  }

  dispose(): void {
    for (const s of this.state.values()) for (const t of [s.expAvg, s.expAvgSq, s.maxExpAvgSq]) t?.dispose();
    this.state.clear();
    this.placeholder?.dispose();
    this.placeholder = null;
  }
}

/** AdamW: decoupled weight decay (default 1e-2, as in PyTorch). */
export class AdamW extends Adam {
  protected override readonly decoupled = true;

  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    super(params, options, 1e-2);
  }
}
