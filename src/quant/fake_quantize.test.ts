import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import { Tensor, liveTensorCount, tidy } from '../engine/tensor';
import { Module } from '../nn/module';
import { f32Bits } from './numerics/float32';
import { aminmax } from './numerics/minmax';
import { calculateQParams } from './numerics/qparams';
import { fakeQuantizePerChannel, fakeQuantizePerTensor } from './numerics/fake_quantize';
import { FakeQuantize } from './fake_quantize';
import { LearnableFakeQuantize } from './fake_quantize_learnable';
import { FixedScaleObserver, MinMaxObserver, MovingAverageMinMaxObserver, PerChannelMinMaxObserver } from './observer';
import { set_fake_quantize } from './fake_quant_state';
import { FakeQuantState } from './types';

beforeAll(async () => {
  await getTestDevice();
});

const bits = (a: ArrayLike<number>) => Array.from(a, f32Bits);
let seed = 5;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
const data = (n: number, k = 3) => Array.from({ length: n }, () => rand() * k);

class Holder extends Module {
  constructor(readonly fq: FakeQuantize) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return this.fq(x);
  }
}

describe('FakeQuantize on the GPU', () => {
  it('CALIBRATION observes only, QAT observes and fake-quantizes, VALIDATION keeps the scale frozen', async () => {
    const fq = FakeQuantize.with_args({ observer: MinMaxObserver, dtype: 'qint8', qscheme: 'per_tensor_symmetric' })();
    const model = new Holder(fq);
    const a = data(500, 2);
    const b = data(500, 5);
    model.eval();
    set_fake_quantize(model, FakeQuantState.CALIBRATION);
    const ya = model(Tensor.fromArray(a, [5, 100]));
    expect(bits(await ya.read())).toEqual(bits(a));
    const [lo, hi] = aminmax(a);
    let ref = calculateQParams([lo], [hi], fq.activation_post_process.qparamsConfig);
    expect(bits(await fq.scale.read())).toEqual(bits(ref.scale));

    model.eval();
    set_fake_quantize(model, FakeQuantState.VALIDATION);
    const yb = model(Tensor.fromArray(b, [5, 100]));
    expect(bits(await fq.scale.read())).toEqual(bits(ref.scale));
    expect(bits(await yb.read())).toEqual(bits(fakeQuantizePerTensor(b, ref.scale[0]!, 0, -128, 127).y));

    model.train();
    set_fake_quantize(model, FakeQuantState.QAT);
    const yq = model(Tensor.fromArray(b, [5, 100]));
    const [lo2, hi2] = aminmax([...a, ...b]);
    ref = calculateQParams([Math.min(lo, lo2)], [Math.max(hi, hi2)], fq.activation_post_process.qparamsConfig);
    expect(bits(await fq.scale.read())).toEqual(bits(ref.scale));
    expect(bits(await yq.read())).toEqual(bits(fakeQuantizePerTensor(b, ref.scale[0]!, 0, -128, 127).y));
  });

  it('catches model.eval() after set_fake_quantize(CALIBRATION), saying what to do', () => {
    const model = new Holder(new FakeQuantize());
    model.eval();
    set_fake_quantize(model, FakeQuantState.CALIBRATION);
    model.eval();
    expect(() => model(Tensor.fromArray([1, 2], [2]))).toThrow(/model.eval\(\) was probably called after set_fake_quantize/);
  });

  it('per channel (weights): scale per output channel, fake quant along ch_axis', async () => {
    const fq = new FakeQuantize({ observer: PerChannelMinMaxObserver, dtype: 'qint8', qscheme: 'per_channel_symmetric', ch_axis: 0 });
    const w = data(4 * 3 * 3 * 3, 0.5);
    const y = fq(Tensor.fromArray(w, [4, 3, 3, 3]));
    const scale = Array.from(await fq.scale.read());
    expect(scale.length).toBe(4);
    const ref = fakeQuantizePerChannel(w, [4, 3, 3, 3], 0, scale, [0, 0, 0, 0], -128, 127);
    expect(bits(await y.read())).toEqual(bits(ref.y));
  });

  it('fixed scale: the given scale whatever the data', async () => {
    const fq = new FakeQuantize({ observer: FixedScaleObserver, dtype: 'qint16', scale: 0.0625 });
    const x = data(64, 100);
    const y = fq(Tensor.fromArray(x, [64]));
    expect(Array.from(await fq.scale.read())).toEqual([0.0625]);
    expect(bits(await y.read())).toEqual(bits(fakeQuantizePerTensor(x, 0.0625, 0, -32768, 32767).y));
  });

  it('loads a per-channel checkpoint before it has seen data', async () => {
    const fq = new FakeQuantize({ observer: PerChannelMinMaxObserver, qscheme: 'per_channel_symmetric', dtype: 'qint8' });
    fq.load_state_dict({
      scale: [0.1, 0.2, 0.3],
      zero_point: [0, 0, 0],
      'activation_post_process.min_val': [-1, -2, -3],
      'activation_post_process.max_val': [1, 2, 3],
    });
    fq.eval();
    const x = data(6, 1);
    const y = fq(Tensor.fromArray(x, [3, 2]));
    expect(bits(await y.read())).toEqual(bits(fakeQuantizePerChannel(x, [3, 2], 0, [0.1, 0.2, 0.3], [0, 0, 0], -128, 127).y));
  });

  it('does not leak tensors across steps', () => {
    const fq = new FakeQuantize({ observer: MovingAverageMinMaxObserver });
    const x = Tensor.fromArray(data(256), [256]);
    const step = () =>
      tidy(() => {
        fq(x);
      });
    step();
    const before = liveTensorCount();
    for (let i = 0; i < 5; i++) step();
    expect(liveTensorCount()).toBe(before);
  });

  it('LearnableFakeQuantize: static estimate copies the observer qparams into its parameters', async () => {
    const lsq = new LearnableFakeQuantize({ observer: MinMaxObserver, dtype: 'quint8', qscheme: 'per_tensor_affine' });
    const x = data(300, 4);
    const y = lsq(Tensor.fromArray(x, [300]));
    const [lo, hi] = aminmax(x);
    const ref = calculateQParams([lo], [hi], lsq.activation_post_process.qparamsConfig);
    expect(bits(await lsq.scale.read())).toEqual(bits(ref.scale));
    expect(Array.from(await lsq.zero_point.read())).toEqual(Array.from(ref.zero_point));
    expect(bits(await y.read())).toEqual(bits(fakeQuantizePerTensor(x, ref.scale[0]!, ref.zero_point[0]!, 0, 255).y));
  });
});

describe('fake quantize on the autograd tape', () => {
  it('FakeQuantize passes the straight-through gradient (bit-exact with the CPU reference), per tensor and per channel', async () => {
    const { backward } = await import('../engine/autograd');
    const { fakeQuantizeBackward } = await import('./numerics/fake_quantize');
    for (const perChannel of [false, true]) {
      const fq = perChannel
        ? new FakeQuantize({ observer: PerChannelMinMaxObserver, dtype: 'qint8', qscheme: 'per_channel_symmetric', ch_axis: 1 })
        : new FakeQuantize({ observer: MinMaxObserver, dtype: 'quint8', qscheme: 'per_tensor_affine' });
      // Calibrate on a narrower batch, so the second one clips.
      fq(Tensor.fromArray(data(4 * 3 * 5, 1), [4, 3, 5]));
      fq.eval();
      const xs = data(4 * 3 * 5, 2);
      const gys = data(4 * 3 * 5, 1);
      const x = Tensor.fromArray(xs, [4, 3, 5]);
      x.requiresGrad = true;
      const y = fq(x);
      backward(y, Tensor.fromArray(gys, [4, 3, 5]));
      const scale = Array.from(await fq.scale.read());
      const zp = Array.from(await fq.zero_point.read());
      const ref = perChannel
        ? fakeQuantizePerChannel(xs, [4, 3, 5], 1, scale, zp, -128, 127)
        : fakeQuantizePerTensor(xs, scale[0]!, zp[0]!, 0, 255);
      expect(ref.mask.some((m) => m === 0)).toBe(true);
      expect(bits(await x.grad!.read())).toEqual(bits(fakeQuantizeBackward(gys, ref.mask)));
    }
  });

  it('LearnableFakeQuantize learns: scale and zero-point gradients as the CPU reference (1e-5), x exact', async () => {
    const { backward } = await import('../engine/autograd');
    const { lsqBackwardPerTensor, lsqGradFactor } = await import('./numerics/lsq');
    const lsq = new LearnableFakeQuantize({ observer: MinMaxObserver, dtype: 'quint8', qscheme: 'per_tensor_affine', scale: 0.05, zero_point: 120.3, use_grad_scaling: true });
    lsq.enable_param_learning();
    const xs = data(200, 8);
    const gys = data(200, 1);
    const x = Tensor.fromArray(xs, [200]);
    x.requiresGrad = true;
    backward(lsq(x), Tensor.fromArray(gys, [200]));
    const ref = lsqBackwardPerTensor(xs, gys, 0.05, 120.3, 0, 255, lsqGradFactor(200, 255, true));
    expect(bits(await x.grad!.read())).toEqual(bits(ref.dx));
    const ds = (await lsq.scale.grad!.read())[0]!;
    const dz = (await lsq.zero_point.grad!.read())[0]!;
    expect(Math.abs(ds - ref.dscale[0]!)).toBeLessThanOrEqual(1e-5 * Math.abs(ref.dscale[0]!));
    expect(Math.abs(dz - ref.dzero_point[0]!)).toBeLessThanOrEqual(1e-5 * Math.abs(ref.dzero_point[0]!));
    expect(ref.dzero_point[0]).not.toBe(0);
  });
});
