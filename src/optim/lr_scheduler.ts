/**
 * Learning-rate schedules as in torch.optim.lr_scheduler, in closed form: constructing one sets the lr
 * of epoch 0; `step()` advances the epoch counter (call it once per epoch) and sets every group's lr
 * from its initial_lr. `get_last_lr()` returns the lrs just set.
 */
import type { Optimizer } from './optimizer';

export abstract class LRScheduler {
  last_epoch = 0;

  constructor(readonly optimizer: Optimizer) {}

  /** The lr of a group that started at `base`, at `epoch`. */
  abstract lrAt(base: number, epoch: number): number;

  step(): void {
    this.last_epoch++;
    this.apply();
  }

  get_last_lr(): number[] {
    return this.optimizer.param_groups.map((g) => g.lr);
  }

  /** Sets the lrs of the current epoch (subclass constructors call it once their fields are set). */
  protected apply(): void {
    for (const g of this.optimizer.param_groups) g.lr = this.lrAt(g.initial_lr, this.last_epoch);
  }
}

/** lr = initial_lr · gamma^floor(epoch / step_size). */
export class StepLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly step_size: number, readonly gamma = 0.1) {
    super(optimizer);
    if (!(step_size > 0)) throw new Error(`StepLR: step_size must be positive, got ${step_size}`);
    this.apply();
  }

  lrAt(base: number, epoch: number): number {
    return base * this.gamma ** Math.floor(epoch / this.step_size);
  }
}

/** lr = initial_lr · gamma^(number of milestones ≤ epoch). */
export class MultiStepLR extends LRScheduler {
  readonly milestones: number[];

  constructor(optimizer: Optimizer, milestones: readonly number[], readonly gamma = 0.1) {
    super(optimizer);
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.apply();
  }

  lrAt(base: number, epoch: number): number {
    return base * this.gamma ** this.milestones.filter((m) => m <= epoch).length;
  }
}

/** lr = eta_min + (initial_lr - eta_min) · (1 + cos(π · epoch / T_max)) / 2. */
export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly T_max: number, readonly eta_min = 0) {
    super(optimizer);
    if (!(T_max > 0)) throw new Error(`CosineAnnealingLR: T_max must be positive, got ${T_max}`);
    this.apply();
  }

  lrAt(base: number, epoch: number): number {
    return this.eta_min + ((base - this.eta_min) * (1 + Math.cos((Math.PI * epoch) / this.T_max))) / 2;
  }
}

/** Linear warmup: the factor goes from start_factor to end_factor over total_iters steps, then stays. */
export class LinearLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly start_factor = 1 / 3, readonly end_factor = 1, readonly total_iters = 5) {
    super(optimizer);
    if (!(start_factor > 0 && start_factor <= 1)) throw new Error(`LinearLR: start_factor must be in (0, 1], got ${start_factor}`);
    this.apply();
  }

  lrAt(base: number, epoch: number): number {
    const t = this.total_iters > 0 ? Math.min(epoch, this.total_iters) / this.total_iters : 1;
    return base * (this.start_factor + (this.end_factor - this.start_factor) * t);
  }
}

/** Runs schedulers[i] from milestones[i-1] on (PyTorch's SequentialLR), each counting from 0 again. */
export class SequentialLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly schedulers: readonly LRScheduler[], readonly milestones: readonly number[]) {
    super(optimizer);
    if (milestones.length !== schedulers.length - 1) {
      throw new Error(`SequentialLR: ${schedulers.length} schedulers need ${schedulers.length - 1} milestones, got ${milestones.length}`);
    }
    this.apply();
  }

  lrAt(base: number, epoch: number): number {
    let i = 0;
    while (i < this.milestones.length && epoch >= this.milestones[i]!) i++;
    const start = i === 0 ? 0 : this.milestones[i - 1]!;
    return this.schedulers[i]!.lrAt(base, epoch - start);
  }
}
