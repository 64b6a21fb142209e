/**
 * Every functional op, forward and backward (through the autograd tape), against its CPU reference on
 * the real WebGPU device. Tolerances are stated per op: float32 kernels against float64 references.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import { failOnGpuErrors } from './testing/errors';
import { Tensor } from './tensor';
import { F } from './functional';
import { backward } from './autograd';
import { expectClose, testData, type Tolerance } from './testing/compare';
import { conv2dBackwardCpu, conv2dCpu } from './cpu/conv2d';
import { matmulCpu } from './cpu/matmul';
import { broadcastBinaryCpu, relu6BackwardCpu, relu6Cpu, reluBackwardCpu, reluCpu, sumToShapeCpu } from './cpu/elementwise';
import { batchNormBackwardCpu, batchNormCpu, layerNormBackwardCpu, layerNormCpu } from './cpu/norm';
import { avgPoolBackwardCpu, avgPoolCpu, maxPoolBackwardCpu, maxPoolCpu } from './cpu/pool';
import { crossEntropyCpu, dropoutCpu, softmaxBackwardCpu, softmaxCpu } from './cpu/softmax';
import { catCpu, permuteCpu } from './cpu/layout';
import { manual_seed } from '../nn/init';

beforeAll(async () => {
  await getTestDevice();
});

failOnGpuErrors();

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A leaf that requires grad. */
function leaf(data: Float32Array, shape: readonly number[]): Tensor {
  const t = Tensor.fromArray(data, shape);
  t.requiresGrad = true;
  return t;
}

/** Runs backward with upstream gradient `gy` and returns the leaves' gradients. */
async function gradsOf(y: Tensor, gy: Float32Array, leaves: readonly Tensor[]): Promise<Float32Array[]> {
  const g = Tensor.fromArray(gy, y.shape);
  backward(y, g);
  g.dispose();
  const out: Float32Array[] = [];
  for (const l of leaves) {
    expect(l.grad, `gradient of leaf ${l.name || l.id}`).not.toBeNull();
    out.push((await l.grad!.read()) as Float32Array);
  }
  return out;
}

function disposeAll(...ts: (Tensor | null | undefined)[]): void {
  for (const t of ts) t?.dispose();
}

// Sums of up to ~150 float32 products: ordering differences stay below these.
const CONV_TOL: Tolerance = { atol: 1e-4, rtol: 1e-4 };
const MATMUL_TOL: Tolerance = { atol: 1e-5, rtol: 1e-4 };
// Normalization divides by a standard deviation; the GPU uses inverseSqrt and one-pass shifted sums.
const NORM_TOL: Tolerance = { atol: 1e-4, rtol: 1e-4 };
// Elementwise ops, pooling and layout copies are exact in float32 (or one rounding away).
const EXACT: Tolerance = { atol: 0, rtol: 0 };
const ELEMENTWISE_TOL: Tolerance = { atol: 1e-7, rtol: 1e-6 };
// exp/log on the GPU are not correctly rounded.
const SOFTMAX_TOL: Tolerance = { atol: 1e-6, rtol: 1e-5 };

describe('conv2d', () => {
  it('forward and backward (stride 2, padding 1, groups 2, bias)', async () => {
    const xs = [2, 4, 7, 6];
    const ws = [6, 2, 3, 3];
    const p = { stride: [2, 2] as [number, number], padding: [1, 1] as [number, number], dilation: [1, 1] as [number, number], groups: 2 };
    const xd = testData(size(xs), 1);
    const wd = testData(size(ws), 2);
    const bd = testData(6, 3);
    const x = leaf(xd, xs);
    const w = leaf(wd, ws);
    const b = leaf(bd, [6]);
    const y = F.conv2d(x, w, b, { stride: 2, padding: 1, groups: 2 });
    const ref = conv2dCpu(xd, xs, wd, ws, bd, p);
    expect(y.shape).toEqual(ref.shape);
    expectClose(await y.read(), ref.y, CONV_TOL, 'conv2d forward');
    const gy = testData(ref.y.length, 4);
    const [gx, gw, gb] = await gradsOf(y, gy, [x, w, b]);
    const g = conv2dBackwardCpu(gy, xd, xs, wd, ws, p);
    expectClose(gx!, g.dx, CONV_TOL, 'conv2d dx');
    expectClose(gw!, g.dw, CONV_TOL, 'conv2d dw');
    expectClose(gb!, g.db, CONV_TOL, 'conv2d db');
    disposeAll(x, w, b, y);
  });

  it('skips the input gradient when the input does not require grad', async () => {
    const x = Tensor.fromArray(testData(2 * 1 * 5 * 5, 5), [2, 1, 5, 5]);
    const w = leaf(testData(3 * 9, 6), [3, 1, 3, 3]);
    const y = F.conv2d(x, w, null, { padding: 1 });
    await gradsOf(y, testData(y.numel, 7), [w]);
    expect(x.grad).toBeNull();
    disposeAll(x, w, y);
  });

  it('names the shapes when channels do not match', () => {
    const x = Tensor.zeros([1, 3, 4, 4]);
    const w = Tensor.zeros([2, 2, 3, 3]);
    expect(() => F.conv2d(x, w, null)).toThrow(/input has 3 channels, weight \[2, 2, 3, 3\] with groups=1 expects 2/);
    disposeAll(x, w);
  });
});

describe('linear and matmul', () => {
  it('linear over a 3-D input, with bias', async () => {
    const xs = [2, 3, 5];
    const xd = testData(30, 8);
    const wd = testData(4 * 5, 9);
    const bd = testData(4, 10);
    const x = leaf(xd, xs);
    const w = leaf(wd, [4, 5]);
    const b = leaf(bd, [4]);
    const y = F.linear(x, w, b);
    expect(y.shape).toEqual([2, 3, 4]);
    const ref = matmulCpu({ data: xd, shape: [6, 5] }, { data: wd, shape: [4, 5] }, { transB: true, bias: bd });
    expectClose(await y.read(), ref.data, MATMUL_TOL, 'linear forward');
    const gy = testData(24, 11);
    const [gx, gw, gb] = await gradsOf(y, gy, [x, w, b]);
    expectClose(gx!, matmulCpu({ data: gy, shape: [6, 4] }, { data: wd, shape: [4, 5] }).data, MATMUL_TOL, 'linear dx');
    expectClose(gw!, matmulCpu({ data: gy, shape: [6, 4] }, { data: xd, shape: [6, 5] }, { transA: true }).data, MATMUL_TOL, 'linear dw');
    expectClose(gb!, sumToShapeCpu(gy, [6, 4], [4]), MATMUL_TOL, 'linear db');
    disposeAll(x, w, b, y);
  });

  it('batched matmul with a broadcast batch dimension', async () => {
    const as = [3, 4, 5];
    const bs = [5, 2];
    const ad = testData(size(as), 12);
    const bd = testData(size(bs), 13);
    const a = leaf(ad, as);
    const b = leaf(bd, bs);
    const y = F.matmul(a, b);
    expectClose(await y.read(), matmulCpu({ data: ad, shape: as }, { data: bd, shape: bs }).data, MATMUL_TOL, 'matmul forward');
    const gy = testData(24, 14);
    const [ga, gb] = await gradsOf(y, gy, [a, b]);
    expectClose(ga!, matmulCpu({ data: gy, shape: [3, 4, 2] }, { data: bd, shape: bs }, { transB: true }).data, MATMUL_TOL, 'matmul da');
    const full = matmulCpu({ data: ad, shape: as }, { data: gy, shape: [3, 4, 2] }, { transA: true });
    expectClose(gb!, sumToShapeCpu(full.data, full.shape, bs), MATMUL_TOL, 'matmul db (summed over the batch)');
    disposeAll(a, b, y);
  });

  it('matmul of a vector and a matrix drops the vector dimension, as torch.matmul', async () => {
    const v = Tensor.fromArray([1, 2, 3], [3]);
    const m = Tensor.fromArray([1, 0, 0, 1, 1, 1], [3, 2]);
    const y = F.matmul(v, m);
    expect(y.shape).toEqual([2]);
    expect(await y.toArray()).toEqual([4, 5]);
    disposeAll(v, m, y);
  });
});

describe('batch_norm', () => {
  for (const training of [true, false]) {
    it(`${training ? 'training (batch statistics, running-stat update)' : 'evaluation (running statistics)'}`, async () => {
      const xs = [3, 4, 5, 6];
      const xd = testData(size(xs), 15).map((v, i) => v * 2 + (i % 7) * 0.1 + 3);
      const wd = testData(4, 16).map((v) => v + 1);
      const bd = testData(4, 17);
      const rmd = Float32Array.from([0.1, -0.2, 0.3, 0]);
      const rvd = Float32Array.from([1, 2, 0.5, 1.5]);
      const x = leaf(xd, xs);
      const w = leaf(wd, [4]);
      const b = leaf(bd, [4]);
      const rm = Tensor.fromArray(rmd, [4]);
      const rv = Tensor.fromArray(rvd, [4]);
      const y = F.batch_norm(x, rm, rv, w, b, { training, momentum: 0.1, eps: 1e-5 });
      const ref = batchNormCpu(xd, xs, rmd, rvd, wd, bd, training, 0.1, 1e-5);
      expectClose(await y.read(), ref.y, NORM_TOL, 'batch_norm forward');
      expectClose(await rm.read(), ref.runningMean, NORM_TOL, 'running_mean');
      expectClose(await rv.read(), ref.runningVar, NORM_TOL, 'running_var');
      const gy = testData(y.numel, 18);
      const [gx, gw, gb] = await gradsOf(y, gy, [x, w, b]);
      const g = batchNormBackwardCpu(gy, xd, xs, ref.mean, ref.invstd, wd, training);
      expectClose(gx!, g.dx, NORM_TOL, 'batch_norm dx');
      expectClose(gw!, g.dweight, NORM_TOL, 'batch_norm dweight');
      expectClose(gb!, g.dbias, NORM_TOL, 'batch_norm dbias');
      disposeAll(x, w, b, rm, rv, y);
    });
  }

  it('handles a long plane split into chunks (N=1, one channel, 64x64)', async () => {
    const xs = [1, 1, 64, 64];
    const xd = testData(size(xs), 19).map((v) => v + 5);
    const x = leaf(xd, xs);
    const rm = Tensor.zeros([1]);
    const rv = Tensor.fromArray([1], [1]);
    const y = F.batch_norm(x, rm, rv, null, null, { training: true, momentum: 0.1, eps: 1e-5 });
    const ref = batchNormCpu(xd, xs, new Float32Array(1), Float32Array.from([1]), null, null, true, 0.1, 1e-5);
    expectClose(await y.read(), ref.y, NORM_TOL, 'batch_norm forward');
    const gy = testData(y.numel, 20);
    const [gx] = await gradsOf(y, gy, [x]);
    expectClose(gx!, batchNormBackwardCpu(gy, xd, xs, ref.mean, ref.invstd, null, true).dx, NORM_TOL, 'batch_norm dx');
    disposeAll(x, rm, rv, y);
  });
});

describe('layer_norm', () => {
  it('forward and backward over the last two dimensions', async () => {
    const xs = [3, 2, 4, 5];
    const D = 20;
    const xd = testData(size(xs), 21).map((v) => v * 3 + 1);
    const wd = testData(D, 22).map((v) => v + 1);
    const bd = testData(D, 23);
    const x = leaf(xd, xs);
    const w = leaf(wd, [4, 5]);
    const b = leaf(bd, [4, 5]);
    const y = F.layer_norm(x, [4, 5], w, b, 1e-5);
    const ref = layerNormCpu(xd, D, wd, bd, 1e-5);
    expectClose(await y.read(), ref.y, NORM_TOL, 'layer_norm forward');
    const gy = testData(y.numel, 24);
    const [gx, gw, gb] = await gradsOf(y, gy, [x, w, b]);
    const g = layerNormBackwardCpu(gy, xd, D, wd, ref.mean, ref.rstd);
    expectClose(gx!, g.dx, NORM_TOL, 'layer_norm dx');
    expectClose(gw!, g.dweight, NORM_TOL, 'layer_norm dweight');
    expectClose(gb!, g.dbias, NORM_TOL, 'layer_norm dbias');
    disposeAll(x, w, b, y);
  });
});

describe('activations', () => {
  const xd = Float32Array.from([-2, -0.5, 0, 0.5, 3, 6, 7, -1e-3]);
  it('relu', async () => {
    const x = leaf(xd, [8]);
    const y = F.relu(x);
    expectClose(await y.read(), reluCpu(xd), EXACT, 'relu');
    const gy = testData(8, 25);
    const [gx] = await gradsOf(y, gy, [x]);
    expectClose(gx!, reluBackwardCpu(gy, reluCpu(xd)), EXACT, 'relu backward');
    disposeAll(x, y);
  });
  it('relu6 (no gradient at and beyond the bounds)', async () => {
    const x = leaf(xd, [8]);
    const y = F.relu6(x);
    expectClose(await y.read(), relu6Cpu(xd), EXACT, 'relu6');
    const gy = testData(8, 26);
    const [gx] = await gradsOf(y, gy, [x]);
    expectClose(gx!, relu6BackwardCpu(gy, xd), EXACT, 'relu6 backward');
    disposeAll(x, y);
  });
  it('dropout keeps the mask of its seed in forward and backward, and is the identity in eval', async () => {
    manual_seed(123);
    const data = testData(1000, 27);
    const x = leaf(data, [10, 100]);
    expect(F.dropout(x, 0.3, false)).toBe(x);
    manual_seed(123);
    const y = F.dropout(x, 0.3, true);
    const seed = (y.gradNode as unknown as { saved: { seed: number } }).saved.seed;
    const expected = dropoutCpu(data, 0.3, seed);
    expectClose(await y.read(), expected, ELEMENTWISE_TOL, 'dropout');
    const kept = expected.filter((v) => v !== 0).length;
    expect(kept).toBeGreaterThan(620);
    expect(kept).toBeLessThan(780);
    const gy = testData(1000, 28);
    const [gx] = await gradsOf(y, gy, [x]);
    expectClose(gx!, dropoutCpu(gy, 0.3, seed), ELEMENTWISE_TOL, 'dropout backward');
    disposeAll(x, y);
  });
});

describe('pooling', () => {
  const xs = [2, 3, 7, 8];
  const xd = testData(size(xs), 29);
  for (const [name, p] of [
    ['2x2 (disjoint windows; the odd height leaves a row uncovered)', { kernel: [2, 2], stride: [2, 2], padding: [0, 0] }],
    ['3x2 stride (3, 2) (disjoint)', { kernel: [3, 2], stride: [3, 2], padding: [0, 0] }],
    ['2x2 with a NaN and ties', { kernel: [2, 2], stride: [2, 2], padding: [0, 0] }],
    ['3x3 stride 1 padding 1 with a NaN and ties', { kernel: [3, 3], stride: [1, 1], padding: [1, 1] }],
    ['3x3 stride 2 padding 1 (overlapping)', { kernel: [3, 3], stride: [2, 2], padding: [1, 1] }],
    ['3x2 stride (1, 2)', { kernel: [3, 2], stride: [1, 2], padding: [1, 0] }],
  ] as const) {
    const params = { kernel: [...p.kernel] as [number, number], stride: [...p.stride] as [number, number], padding: [...p.padding] as [number, number] };
    it(`max_pool2d ${name}`, async () => {
      // Ties (zeros after a ReLU) go to the first element; a NaN wins its window, as in PyTorch.
      const data = name.includes('NaN') ? xd.map((v, i) => (i === 9 ? NaN : i % 3 === 0 ? 0 : Math.max(v, 0))) : xd;
      const x = leaf(data, xs);
      const y = F.max_pool2d(x, params.kernel, { stride: params.stride, padding: params.padding });
      const ref = maxPoolCpu(data, xs, params);
      expect(y.shape).toEqual(ref.shape);
      expectClose(await y.read(), ref.y, EXACT, 'max_pool2d');
      const gy = testData(y.numel, 30);
      const [gx] = await gradsOf(y, gy, [x]);
      expectClose(gx!, maxPoolBackwardCpu(gy, ref.argmax, xs, ref.shape), ELEMENTWISE_TOL, 'max_pool2d backward');
      disposeAll(x, y);
    });
    it(`avg_pool2d ${name}`, async () => {
      const x = leaf(xd, xs);
      const y = F.avg_pool2d(x, params.kernel, { stride: params.stride, padding: params.padding });
      const ref = avgPoolCpu(xd, xs, params);
      expect(y.shape).toEqual(ref.shape);
      expectClose(await y.read(), ref.y, ELEMENTWISE_TOL, 'avg_pool2d');
      const gy = testData(y.numel, 31);
      const [gx] = await gradsOf(y, gy, [x]);
      expectClose(gx!, avgPoolBackwardCpu(gy, xs, params), ELEMENTWISE_TOL, 'avg_pool2d backward');
      disposeAll(x, y);
    });
  }
  for (const out of [[1, 1], [3, 5], [7, 8], [4, 3]] as const) {
    it(`adaptive_avg_pool2d to ${out.join('x')}`, async () => {
      const o = [...out] as [number, number];
      const x = leaf(xd, xs);
      const y = F.adaptive_avg_pool2d(x, o);
      const ref = avgPoolCpu(xd, xs, null, o);
      expect(y.shape).toEqual(ref.shape);
      expectClose(await y.read(), ref.y, ELEMENTWISE_TOL, 'adaptive_avg_pool2d');
      const gy = testData(y.numel, 32);
      const [gx] = await gradsOf(y, gy, [x]);
      expectClose(gx!, avgPoolBackwardCpu(gy, xs, null, o), ELEMENTWISE_TOL, 'adaptive_avg_pool2d backward');
      disposeAll(x, y);
    });
  }
});

describe('fused backward (max_pool2d of relu)', () => {
  for (const [name, params] of [
    ['2x2 pairs', { kernel: [2, 2], stride: [2, 2], padding: [0, 0] }],
    ['3x2 disjoint', { kernel: [3, 2], stride: [3, 2], padding: [0, 0] }],
    ['3x3 overlapping', { kernel: [3, 3], stride: [2, 2], padding: [1, 1] }],
  ] as const) {
    it(`gradient through pool(relu(x)) equals relu backward of pool backward — ${name}`, async () => {
      const xs = [2, 3, 6, 8];
      const xd = testData(size(xs), 50);
      const p = { kernel: [...params.kernel] as [number, number], stride: [...params.stride] as [number, number], padding: [...params.padding] as [number, number] };
      const x = leaf(xd, xs);
      const y = F.max_pool2d(F.relu(x), p.kernel, { stride: p.stride, padding: p.padding });
      const z = reluCpu(xd);
      const ref = maxPoolCpu(z, xs, p);
      const gy = testData(y.numel, 51);
      const [gx] = await gradsOf(y, gy, [x]);
      expectClose(gx!, reluBackwardCpu(maxPoolBackwardCpu(gy, ref.argmax, xs, ref.shape), z), ELEMENTWISE_TOL, 'fused backward');
      disposeAll(x, y);
    });
  }

  it('is not used when the ReLU output feeds another op too', async () => {
    const xs = [1, 2, 4, 4];
    const xd = testData(size(xs), 52);
    const x = leaf(xd, xs);
    const r = F.relu(x);
    const pooled = F.max_pool2d(r, 2);
    const y = F.add(F.flatten(pooled), F.flatten(F.avg_pool2d(r, 2)));
    const gy = testData(y.numel, 53);
    const [gx] = await gradsOf(y, gy, [x]);
    const z = reluCpu(xd);
    const p = { kernel: [2, 2] as [number, number], stride: [2, 2] as [number, number], padding: [0, 0] as [number, number] };
    const m = maxPoolCpu(z, xs, p);
    const viaMax = maxPoolBackwardCpu(gy, m.argmax, xs, m.shape);
    const viaAvg = avgPoolBackwardCpu(gy, xs, p);
    expectClose(gx!, reluBackwardCpu(viaMax.map((v, i) => v + viaAvg[i]!), z), ELEMENTWISE_TOL, 'two consumers');
    disposeAll(x, y);
  });
});

describe('add and mul with broadcasting', () => {
  for (const [as, bs] of [
    [[2, 3, 4], [2, 3, 4]],
    [[2, 3, 4], [4]],
    [[2, 1, 4], [3, 1]],
    [[5, 3, 2, 2], [1, 3, 1, 1]],
    [[6], [1]],
  ] as const) {
    it(`[${as}] and [${bs}]`, async () => {
      const ad = testData(size(as), 33);
      const bd = testData(size(bs), 34);
      for (const op of ['add', 'mul'] as const) {
        const a = leaf(ad, as);
        const b = leaf(bd, bs);
        const y = F[op](a, b);
        const fn = op === 'add' ? (u: number, v: number) => u + v : (u: number, v: number) => u * v;
        const ref = broadcastBinaryCpu(ad, as, bd, bs, fn);
        expect(y.shape).toEqual(ref.shape);
        expectClose(await y.read(), ref.y, ELEMENTWISE_TOL, op);
        const gy = testData(y.numel, 35);
        const [ga, gb] = await gradsOf(y, gy, [a, b]);
        const gaFull = op === 'add' ? gy : broadcastBinaryCpu(gy, ref.shape, bd, bs, (u, v) => u * v).y;
        const gbFull = op === 'add' ? gy : broadcastBinaryCpu(gy, ref.shape, ad, as, (u, v) => u * v).y;
        expectClose(ga!, sumToShapeCpu(gaFull, ref.shape, as), { atol: 1e-6, rtol: 1e-5 }, `${op} da`);
        expectClose(gb!, sumToShapeCpu(gbFull, ref.shape, bs), { atol: 1e-6, rtol: 1e-5 }, `${op} db`);
        disposeAll(a, b, y);
      }
    });
  }

  it('x + x sends both gradients to x', async () => {
    const x = leaf(Float32Array.from([1, 2, 3]), [3]);
    const y = F.add(x, x);
    const [gx] = await gradsOf(y, Float32Array.from([1, 10, 100]), [x]);
    expect(Array.from(gx!)).toEqual([2, 20, 200]);
    disposeAll(x, y);
  });
});

describe('layout ops', () => {
  it('cat along dims 0 and 1, with gradients split back', async () => {
    const shapes = [[2, 3, 4], [2, 1, 4], [2, 2, 4]];
    const datas = shapes.map((s, i) => testData(size(s), 40 + i));
    const xs = shapes.map((s, i) => leaf(datas[i]!, s));
    const y = F.cat(xs, 1);
    const ref = catCpu(shapes.map((s, i) => ({ data: datas[i]!, shape: s })), 1);
    expect(y.shape).toEqual(ref.shape);
    expectClose(await y.read(), ref.y, EXACT, 'cat');
    const gy = testData(y.numel, 44);
    const grads = await gradsOf(y, gy, xs);
    // The gradient of each piece is its slice: cat the gradients back and compare with gy.
    expectClose(catCpu(shapes.map((s, i) => ({ data: grads[i]!, shape: s })), 1).y, gy, EXACT, 'cat backward');
    disposeAll(...xs, y);
    const a = Tensor.fromArray([1, 2], [1, 2]);
    const b = Tensor.fromArray([3, 4, 5, 6], [2, 2]);
    const z = F.cat([a, b], 0);
    expect(await z.toArray()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => F.cat([a, Tensor.zeros([1, 3])], 0)).toThrow(/tensor 1 has shape \[1, 3\]/);
    disposeAll(a, b, z);
  });

  it('permute, flatten, reshape and view (with -1) carry gradients', async () => {
    const xs = [2, 3, 4];
    const xd = testData(24, 45);
    const x = leaf(xd, xs);
    const p = F.permute(x, [2, 0, 1]);
    const ref = permuteCpu(xd, xs, [2, 0, 1]);
    expect(p.shape).toEqual([4, 2, 3]);
    expectClose(await p.read(), ref.y, EXACT, 'permute');
    const f = F.flatten(p, 1);
    expect(f.shape).toEqual([4, 6]);
    const v = f.view(-1, 3);
    expect(v.shape).toEqual([8, 3]);
    const r = v.reshape([24]);
    const gy = testData(24, 46);
    const [gx] = await gradsOf(r, gy, [x]);
    expectClose(gx!, permuteCpu(gy, [4, 2, 3], [1, 2, 0]).y, EXACT, 'permute backward');
    expect(() => x.view(5, -1)).toThrow(/shape \[5, -1\] is invalid for input of size 24/);
    disposeAll(x, p, f, v, r);
  });

  it('tensor methods: size, dim, relu, add, mul, matmul, flatten', async () => {
    const x = Tensor.fromArray([-1, 2, -3, 4], [2, 2]);
    expect(x.size()).toEqual([2, 2]);
    expect(x.size(-1)).toBe(2);
    expect(x.dim()).toBe(2);
    const y = x.relu().add(x).mul(2).matmul(x).flatten();
    expect(y.shape).toEqual([4]);
    // relu(x) + x = [[-1, 4], [-3, 8]]; ·2 = [[-2, 8], [-6, 16]]; · x = [[2 - 24, -4 + 32], [6 - 48, -12 + 64]]
    expect(await y.toArray()).toEqual([-22, 28, -42, 52]);
    disposeAll(x, y);
  });
});

describe('softmax and cross_entropy', () => {
  it('softmax along a middle dimension', async () => {
    const xs = [2, 5, 3];
    const xd = testData(30, 47).map((v) => v * 4);
    const x = leaf(xd, xs);
    const y = F.softmax(x, 1);
    const ref = softmaxCpu(xd, xs, 1);
    expectClose(await y.read(), ref, SOFTMAX_TOL, 'softmax');
    const gy = testData(30, 48);
    const [gx] = await gradsOf(y, gy, [x]);
    expectClose(gx!, softmaxBackwardCpu(gy, ref, xs, 1), SOFTMAX_TOL, 'softmax backward');
    disposeAll(x, y);
  });

  it('cross_entropy: mean loss and logits gradient', async () => {
    const N = 7;
    const C = 5;
    const ld = testData(N * C, 49).map((v) => v * 3);
    const td = Int32Array.from([0, 4, 2, 2, 1, 3, 0]);
    const logits = leaf(ld, [N, C]);
    const target = Tensor.fromArray(td, [N], 'int32');
    const loss = F.cross_entropy(logits, target);
    expect(loss.shape).toEqual([]);
    const ref = crossEntropyCpu(ld, N, C, td, 1);
    expectClose(await loss.read(), [ref.loss], SOFTMAX_TOL, 'cross_entropy');
    backward(loss);
    expectClose(await logits.grad!.read(), ref.dlogits, SOFTMAX_TOL, 'cross_entropy backward');
    expect(() => F.cross_entropy(logits, Tensor.zeros([N]))).toThrow(/target must be int32 \[7\], got float32 \[7\]/);
    disposeAll(logits, target, loss);
  });
});

describe('div and sqrt (QAT conv+BN folding)', () => {
  for (const [as, bs] of [
    [[2, 3, 4], [2, 3, 4]],
    [[5, 3, 2, 2], [1, 3, 1, 1]],
    [[3], [3]],
  ] as const) {
    it(`div [${as}] / [${bs}]: forward, da = gy/b, db = -gy·a/b² summed to b`, async () => {
      const ad = testData(size(as), 61);
      // Away from zero so the quotient is well conditioned.
      const bd = testData(size(bs), 62).map((v) => (v >= 0 ? v + 0.5 : v - 0.5));
      const a = leaf(ad, as);
      const b = leaf(bd, bs);
      const y = F.div(a, b);
      const ref = broadcastBinaryCpu(ad, as, bd, bs, (u, v) => u / v);
      expect(y.shape).toEqual(ref.shape);
      expectClose(await y.read(), ref.y, ELEMENTWISE_TOL, 'div');
      const gy = testData(y.numel, 63);
      const [ga, gb] = await gradsOf(y, gy, [a, b]);
      const gaFull = broadcastBinaryCpu(gy, ref.shape, bd, bs, (u, v) => u / v).y;
      const gbFull = broadcastBinaryCpu(gy, ref.shape, ref.y, ref.shape, (u, q) => -u * q).y;
      const gbScaled = broadcastBinaryCpu(gbFull, ref.shape, bd, bs, (u, v) => u / v).y;
      expectClose(ga!, sumToShapeCpu(gaFull, ref.shape, as), { atol: 1e-6, rtol: 1e-5 }, 'div da');
      expectClose(gb!, sumToShapeCpu(gbScaled, ref.shape, bs), { atol: 1e-5, rtol: 1e-5 }, 'div db');
      disposeAll(a, b, y);
    });
  }

  it('sqrt: forward and dx = gy / (2√x)', async () => {
    const xd = testData(17, 64).map((v) => Math.abs(v) + 0.1);
    const x = leaf(xd, [17]);
    const y = F.sqrt(x);
    expectClose(await y.read(), Array.from(xd, Math.sqrt), ELEMENTWISE_TOL, 'sqrt');
    const gy = testData(17, 65);
    const [gx] = await gradsOf(y, gy, [x]);
    expectClose(gx!, Array.from(xd, (v, i) => gy[i]! / (2 * Math.sqrt(v))), { atol: 1e-6, rtol: 1e-5 }, 'sqrt dx');
    disposeAll(x, y);
  });
});
