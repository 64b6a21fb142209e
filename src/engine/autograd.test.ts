import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import { failOnGpuErrors } from './testing/errors';
import { Tensor, liveTensorCount, tidy } from './tensor';
import { F } from './functional';
import { backward, no_grad } from './autograd';
import { bufferPool } from './pool';
import { sync } from './commands';
import * as nn from '../nn/index';
import { manual_seed } from '../nn/init';
import { SGD } from '../optim/sgd';
import { testData } from './testing/compare';

beforeAll(async () => {
  await getTestDevice();
});

failOnGpuErrors();

function leaf(values: number[], shape: number[]): Tensor {
  const t = Tensor.fromArray(values, shape);
  t.requiresGrad = true;
  return t;
}

describe('autograd tape', () => {
  it('a one-element loss needs no gradient; another tensor does, and the message says so', () => {
    const x = leaf([1, 2], [2]);
    const y = F.relu(x);
    expect(() => backward(y)).toThrow(/a gradient is needed for a tensor of shape \[2\]/);
    const plain = Tensor.zeros([1]);
    expect(() => backward(plain)).toThrow(/does not require grad/);
    for (const t of [x, y, plain]) t.dispose();
  });

  it('gradients accumulate across backward calls until zero_grad, as in PyTorch', async () => {
    const x = leaf([1, -2, 3], [3]);
    const w = leaf([2, 2, 2], [3]);
    for (let i = 0; i < 2; i++) {
      const y = F.mul(x, w);
      backward(y, Tensor.fromArray([1, 1, 1], [3]));
      y.dispose();
    }
    expect(await w.grad!.toArray()).toEqual([2, -4, 6]);
    expect(await x.grad!.toArray()).toEqual([4, 4, 4]);
    w.grad!.dispose();
    w.grad = null;
    for (const t of [x, w]) t.dispose();
  });

  it('a graph is used once: a second backward names the op', () => {
    const x = leaf([1, 2], [1, 2]);
    const w = leaf([1, 1, 1, 1], [2, 2]);
    const y = F.linear(x, w, null);
    const g = Tensor.fromArray([1, 1], [1, 2]);
    backward(y, g);
    expect(() => backward(y, g)).toThrow(/backward of linear: trying to backward through the graph a second time/);
    for (const t of [x, w, y, g]) t.dispose();
  });

  it('no_grad records nothing', () => {
    const x = leaf([1, 2], [2]);
    const y = no_grad(() => F.relu(x));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradNode).toBeNull();
    for (const t of [x, y]) t.dispose();
  });

  it('a gradient reaching a leaf through two paths is summed (x·x and x + relu(x))', async () => {
    const x = leaf([3, -1], [2]);
    const y = F.add(F.mul(x, x), F.relu(x));
    backward(y, Tensor.fromArray([1, 1], [2]));
    // d/dx (x² + relu(x)) = 2x + [x > 0]
    expect(await x.grad!.toArray()).toEqual([7, -2]);
    x.dispose();
  });

  it('frees every intermediate: live tensors and pooled buffers stay flat over training steps', async () => {
    manual_seed(7);
    // The reference CNN's kinds of layers at a smaller size (pipelines compile faster).
    const model = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }),
      new nn.BatchNorm2d(4),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(4, 8, 3, { padding: 1 }),
      new nn.BatchNorm2d(8),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Linear(8 * 4 * 4, 10),
    );
    const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weight_decay: 4e-5 });
    const images = Tensor.fromArray(testData(8 * 256, 3), [8, 1, 16, 16]);
    const labels = Tensor.fromArray([0, 1, 2, 3, 4, 5, 6, 7], [8], 'int32');
    const step = () =>
      tidy(() => {
        const loss = F.cross_entropy(model(images), labels);
        backward(loss);
        opt.step();
        opt.zero_grad();
      });
    step();
    await sync();
    const before = { tensors: liveTensorCount(), ...bufferPool.stats() };
    for (let i = 0; i < 5; i++) step();
    await sync();
    const after = { tensors: liveTensorCount(), ...bufferPool.stats() };
    expect(after.tensors).toBe(before.tensors);
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.liveBytes).toBe(before.liveBytes);
    // Steady state: every buffer of a step comes from the pool.
    expect(after.created).toBe(before.created);
    model.dispose();
    opt.dispose();
    images.dispose();
    labels.dispose();
  });
});
