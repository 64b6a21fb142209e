/**
 * QAT conv + BN (src/quant/qat_modules.ts, PyTorch's _forward_approximate) against a plain CPU
 * computation: BN folded with batch statistics while training, with running statistics when frozen
 * (freeze_bn_stats) or in eval mode; the weight fake quantizer sees w·γ/σ; without fake quantization the
 * module is conv then BN, in value and in gradient.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import * as nn from '../nn/index';
import { Tensor } from '../engine/tensor';
import { F } from '../engine/functional';
import { backward } from '../engine/autograd';
import { conv2dCpu } from '../engine/cpu/conv2d';
import { expectClose, testData } from '../engine/testing/compare';
import { prepare } from '../quant/prepare';
import { get_qconfig } from '../quant/qconfig_templates';
import { disable_fake_quant, disable_observer, set_fake_quantize } from '../quant/fake_quant_state';
import { FakeQuantState } from '../quant/types';
import { freeze_bn_stats } from '../quant/qat_modules';

beforeAll(async () => {
  await getTestDevice();
});

const N = 4;
const CIN = 2;
const C = 3;
const H = 5;
const EPS = 1e-5;
const MOMENTUM = 0.1;
const CONV = { stride: [1, 1] as [number, number], padding: [1, 1] as [number, number], dilation: [1, 1] as [number, number], groups: 1 };

class ConvBnReLU extends nn.Module {
  conv = new nn.Conv2d(CIN, C, 3, { padding: 1 });
  bn = new nn.BatchNorm2d(C);
  relu = new nn.ReLU();
  override forward(x: Tensor): Tensor {
    return this.relu(this.bn(this.conv(x)));
  }
}

const w = testData(C * CIN * 9, 11).map((v) => v * 0.6);
const b = Float32Array.from([0.1, -0.2, 0.05]);
const gamma = Float32Array.from([1.3, 0.7, -0.9]);
const beta = Float32Array.from([0.2, -0.1, 0.3]);
const runningMean = Float32Array.from([0.05, -0.3, 0.2]);
const runningVar = Float32Array.from([0.8, 1.7, 0.4]);
const xData = testData(N * CIN * H * H, 12);

/** The prepared model with known parameters; `qat` is its fused QAT ConvBnReLU2d. */
function preparedModel() {
  const float = new ConvBnReLU();
  float.conv.weight.assign(w);
  float.conv.bias!.assign(b);
  float.bn.weight!.assign(gamma);
  float.bn.bias!.assign(beta);
  float.bn.running_mean.assign(runningMean);
  float.bn.running_var.assign(runningVar);
  float.qconfig = get_qconfig();
  const model = prepare(float, { high_precision_output: false });
  const qat = model.get_submodule('conv');
  expect(qat._typeName).toBe('ConvBnReLU2d');
  return { model, qat };
}

const relu = (v: number) => Math.max(v, 0);

/** conv(x, w) + b in float64, then BN with the given per-channel mean/var, then ReLU. */
function convBnCpu(weight: Float32Array, mean: ArrayLike<number>, variance: ArrayLike<number>): Float32Array {
  const conv = conv2dCpu(xData, [N, CIN, H, H], weight, [C, CIN, 3, 3], b, CONV).y;
  const plane = H * H;
  return conv.map((v, i) => {
    const c = Math.floor(i / plane) % C;
    return relu(((v - mean[c]!) / Math.sqrt(variance[c]! + EPS)) * gamma[c]! + beta[c]!);
  });
}

/** Per-channel batch mean and (biased, unbiased) variance of conv(x, w) + b. */
function batchStats(): { mean: number[]; biased: number[]; unbiased: number[] } {
  const conv = conv2dCpu(xData, [N, CIN, H, H], w, [C, CIN, 3, 3], b, CONV).y;
  const plane = H * H;
  const count = N * plane;
  const mean = new Array<number>(C).fill(0);
  const sq = new Array<number>(C).fill(0);
  conv.forEach((v, i) => (mean[Math.floor(i / plane) % C]! += v / count));
  conv.forEach((v, i) => {
    const c = Math.floor(i / plane) % C;
    sq[c]! += (v - mean[c]!) ** 2;
  });
  return { mean, biased: sq.map((s) => s / count), unbiased: sq.map((s) => s / (count - 1)) };
}

describe('QAT conv+BN folding', () => {
  it('training: BN folded with batch statistics (= conv then BN on the batch); running statistics take a momentum step', async () => {
    const { model } = preparedModel();
    disable_fake_quant(model);
    disable_observer(model);
    model.train();
    const x = Tensor.fromArray(xData, [N, CIN, H, H]);
    const y = model(x) as Tensor;
    const stats = batchStats();
    // Sums of 18 products and a division by a batch standard deviation.
    expectClose(await y.read(), convBnCpu(w, stats.mean, stats.biased), { atol: 2e-5, rtol: 2e-4 }, 'training forward');
    const bn = (model.get_submodule('conv') as unknown as { bn: nn.BatchNorm2d }).bn;
    expectClose(await bn.running_mean.read(), runningMean.map((m, c) => (1 - MOMENTUM) * m + MOMENTUM * stats.mean[c]!), { atol: 1e-6, rtol: 1e-5 }, 'running_mean');
    expectClose(await bn.running_var.read(), runningVar.map((v, c) => (1 - MOMENTUM) * v + MOMENTUM * stats.unbiased[c]!), { atol: 1e-6, rtol: 1e-5 }, 'running_var');
    model.dispose();
  });

  it('freeze_bn_stats in train mode, and eval mode: BN with running statistics, which stay as they are', async () => {
    for (const mode of ['frozen', 'eval'] as const) {
      const { model } = preparedModel();
      disable_fake_quant(model);
      disable_observer(model);
      if (mode === 'frozen') {
        model.train();
        freeze_bn_stats(model);
      } else model.eval();
      const y = model(Tensor.fromArray(xData, [N, CIN, H, H])) as Tensor;
      expectClose(await y.read(), convBnCpu(w, runningMean, runningVar), { atol: 2e-5, rtol: 2e-4 }, `${mode} forward`);
      const bn = (model.get_submodule('conv') as unknown as { bn: nn.BatchNorm2d }).bn;
      expect(Array.from(await bn.running_mean.read()), mode).toEqual(Array.from(runningMean));
      expect(Array.from(await bn.running_var.read()), mode).toEqual(Array.from(runningVar));
      model.dispose();
    }
  });

  it('the weight fake quantizer sees w·γ/σ: frozen BN is the folded conv with fake-quantized folded weights', async () => {
    const { model, qat } = preparedModel();
    model.eval();
    set_fake_quantize(model, FakeQuantState.VALIDATION);
    (qat as unknown as { activation_post_process: { disable_fake_quant(): void } }).activation_post_process.disable_fake_quant();
    const scales = Float32Array.from([0.004, 0.003, 0.005]);
    // Per-channel qparams are sized on first use; a state dict sizes them, as a checkpoint would.
    model.load_state_dict(new Map<string, ArrayLike<number>>([['conv.weight_fake_quant.scale', scales], ['conv.weight_fake_quant.zero_point', new Int32Array(C)]]), false);
    const y = model(Tensor.fromArray(xData, [N, CIN, H, H])) as Tensor;
    // The folded weight in float32 as the module computes it, then fake quantize (round half to even).
    const f = Math.fround;
    const factor = Array.from(gamma, (g, c) => f(g / f(Math.sqrt(f(runningVar[c]! + EPS)))));
    const per = CIN * 9;
    const folded = w.map((v, i) => f(v * factor[Math.floor(i / per)]!));
    const fq = folded.map((v, i) => {
      const s = scales[Math.floor(i / per)]!;
      const q = Math.min(127, Math.max(-128, roundHalfEven(f(v * f(1 / s)))));
      return f(q * s);
    });
    // conv(x, fq(w')) / factor + b, then BN with running statistics.
    const conv = conv2dCpu(xData, [N, CIN, H, H], fq, [C, CIN, 3, 3], null, CONV).y;
    const plane = H * H;
    const expected = conv.map((v, i) => {
      const c = Math.floor(i / plane) % C;
      const orig = v / factor[c]! + b[c]!;
      return relu(((orig - runningMean[c]!) / Math.sqrt(runningVar[c]! + EPS)) * gamma[c]! + beta[c]!);
    });
    expectClose(await y.read(), expected, { atol: 2e-5, rtol: 2e-4 }, 'fake-quantized folded forward');
    // And it differs from the unquantized one: the fake quantizer did act.
    const plain = convBnCpu(w, runningMean, runningVar);
    expect(Math.max(...expected.map((v, i) => Math.abs(v - plain[i]!)))).toBeGreaterThan(1e-4);
    model.dispose();
  });

  it('without fake quantization, gradients to conv weight/bias and γ/β equal those of conv then BN', async () => {
    const { model } = preparedModel();
    disable_fake_quant(model);
    disable_observer(model);
    model.train();
    const x = Tensor.fromArray(xData, [N, CIN, H, H]);
    const gyData = testData(N * C * H * H, 13);
    const gy = Tensor.fromArray(gyData, [N, C, H, H]);
    backward(model(x) as Tensor, gy);
    const qat = model.get_submodule('conv') as unknown as { conv: nn.Conv2d; bn: nn.BatchNorm2d };
    const got = await Promise.all([qat.conv.weight, qat.conv.bias!, qat.bn.weight!, qat.bn.bias!].map(async (p) => Float32Array.from(await p.grad!.read())));

    // The same computation with plain F ops on fresh leaves.
    const leaf = (data: Float32Array, shape: number[]) => {
      const t = Tensor.fromArray(data, shape);
      t.requiresGrad = true;
      return t;
    };
    const [lw, lb, lg, lbeta] = [leaf(w, [C, CIN, 3, 3]), leaf(b, [C]), leaf(gamma, [C]), leaf(beta, [C])];
    const rm = Tensor.fromArray(runningMean, [C]);
    const rv = Tensor.fromArray(runningVar, [C]);
    const ref = F.relu(F.batch_norm(F.conv2d(x, lw, lb, { padding: 1 }), rm, rv, lg, lbeta, { training: true, momentum: MOMENTUM, eps: EPS }));
    backward(ref, gy);
    const want = await Promise.all([lw, lb, lg, lbeta].map(async (p) => Float32Array.from(await p.grad!.read())));
    const names = ['conv.weight', 'conv.bias', 'bn.weight', 'bn.bias'];
    // The folded path multiplies by γ/σ and divides it back: a few float32 roundings apart.
    got.forEach((g, i) => expectClose(g, want[i]!, { atol: 1e-5, rtol: 1e-3 }, `grad ${names[i]}`));
    // conv.bias cancels in training-mode BN: its gradient is ~0 both ways.
    expect(Math.max(...Array.from(got[1]!, Math.abs))).toBeLessThan(1e-4);
    model.dispose();
    for (const t of [x, gy, lw, lb, lg, lbeta, rm, rv]) t.dispose();
  });
});

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
