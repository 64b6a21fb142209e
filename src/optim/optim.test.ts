import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import { failOnGpuErrors } from '../engine/testing/errors';
import { Tensor } from '../engine/tensor';
import { expectClose, testData } from '../engine/testing/compare';
import { adamStepCpu, sgdStepCpu, type AdamCpuState, type SgdCpuState } from '../engine/cpu/optim';
import { SGD } from './sgd';
import { Adam, AdamW } from './adam';
import { CosineAnnealingLR, LinearLR, MultiStepLR, SequentialLR, StepLR } from './lr_scheduler';

beforeAll(async () => {
  await getTestDevice();
});

failOnGpuErrors();

// Three float32 steps against float64: a few ulps of the parameter.
const TOL = { atol: 1e-6, rtol: 1e-5 };

function param(data: Float32Array): Tensor {
  const p = Tensor.fromArray(data, [data.length]);
  p.requiresGrad = true;
  p.isParameter = true;
  return p;
}

describe('SGD (fused kernel) matches torch.optim.SGD semantics', () => {
  const variants = [
    { lr: 0.1, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false },
    { lr: 0.05, momentum: 0.9, dampening: 0, weight_decay: 4e-5, nesterov: false },
    { lr: 0.05, momentum: 0.9, dampening: 0, weight_decay: 1e-3, nesterov: true },
    { lr: 0.2, momentum: 0.5, dampening: 0.3, weight_decay: 0, nesterov: false },
  ];
  for (const o of variants) {
    it(`lr ${o.lr}, momentum ${o.momentum}, dampening ${o.dampening}, weight_decay ${o.weight_decay}, nesterov ${o.nesterov}`, async () => {
      const n = 37;
      let expected = testData(n, 1);
      const p = param(expected);
      const opt = new SGD([p], o);
      const state: SgdCpuState = { momentumBuffer: null };
      for (let step = 0; step < 3; step++) {
        const g = testData(n, 10 + step);
        p.grad = Tensor.fromArray(g, [n]);
        opt.step();
        opt.zero_grad();
        expect(p.grad).toBeNull();
        expected = sgdStepCpu(expected, g, state, o);
      }
      expectClose(await p.read(), expected, TOL, 'parameter after 3 steps');
      opt.dispose();
      p.dispose();
    });
  }

  it('skips parameters without a gradient and rejects bad options', async () => {
    const p = param(Float32Array.from([1, 2]));
    const opt = new SGD([p], { lr: 1 });
    opt.step();
    expect(await p.toArray()).toEqual([1, 2]);
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(/Nesterov momentum requires a momentum/);
    expect(() => new SGD([], { lr: 0.1 })).toThrow(/empty parameter list/);
    opt.dispose();
    p.dispose();
  });
});

describe('Adam and AdamW (fused kernel)', () => {
  for (const [name, Cls, decoupled, amsgrad, wd] of [
    ['Adam', Adam, false, false, 0],
    ['Adam with L2 weight decay and amsgrad', Adam, false, true, 0.01],
    ['AdamW', AdamW, true, false, 0.01],
  ] as const) {
    it(name, async () => {
      const n = 29;
      let expected = testData(n, 2);
      const p = param(expected);
      const o = { lr: 0.01, betas: [0.9, 0.99] as [number, number], eps: 1e-8, weight_decay: wd, amsgrad };
      const opt = new Cls([p], o);
      const state: AdamCpuState = { step: 0, m: new Float64Array(n), v: new Float64Array(n), vmax: new Float64Array(n) };
      for (let step = 0; step < 3; step++) {
        const g = testData(n, 20 + step).map((v) => v * (step + 1));
        p.grad = Tensor.fromArray(g, [n]);
        opt.step();
        opt.zero_grad();
        expected = adamStepCpu(expected, g, state, { ...o, decoupled });
      }
      expectClose(await p.read(), expected, { atol: 1e-6, rtol: 1e-5 }, `${name} parameter after 3 steps`);
      opt.dispose();
      p.dispose();
    });
  }
});

describe('learning-rate schedules (closed forms of torch.optim.lr_scheduler)', () => {
  const make = () => {
    const p = Tensor.fromArray([0], [1]);
    return { p, opt: new SGD([p], { lr: 0.1 }) };
  };
  const run = (sched: { step(): void; get_last_lr(): number[] }, epochs: number) => {
    const lrs = [sched.get_last_lr()[0]!];
    for (let e = 1; e < epochs; e++) {
      sched.step();
      lrs.push(sched.get_last_lr()[0]!);
    }
    return lrs;
  };
  const close = (a: number[], b: number[]) => expectClose(a, b, { atol: 1e-12, rtol: 1e-9 }, 'lr');

  it('StepLR', () => {
    const { p, opt } = make();
    close(run(new StepLR(opt, 2, 0.5), 6), [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    p.dispose();
  });
  it('MultiStepLR', () => {
    const { p, opt } = make();
    close(run(new MultiStepLR(opt, [3, 1], 0.1), 5), [0.1, 0.01, 0.01, 0.001, 0.001]);
    p.dispose();
  });
  it('CosineAnnealingLR', () => {
    const { p, opt } = make();
    const lrs = run(new CosineAnnealingLR(opt, 4, 0.01), 5);
    close(lrs, [0, 1, 2, 3, 4].map((e) => 0.01 + (0.09 * (1 + Math.cos((Math.PI * e) / 4))) / 2));
    expect(lrs[4]).toBeCloseTo(0.01, 12);
    p.dispose();
  });
  it('LinearLR warmup, then StepLR through SequentialLR', () => {
    const { p, opt } = make();
    const warmup = new LinearLR(opt, 0.25, 1, 2);
    const decay = new StepLR(opt, 2, 0.1);
    close(run(new SequentialLR(opt, [warmup, decay], [2]), 6), [0.025, 0.0625, 0.1, 0.1, 0.01, 0.01]);
    p.dispose();
  });
});
