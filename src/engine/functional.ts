/**
 * The functional ops the modules call, mirroring torch.nn.functional (names and options). Each op runs a
 * WGSL kernel, records its backward on the autograd tape (rules in backward.ts), and has a CPU reference
 * in engine/cpu/.
 *
 * Positional arguments are PyTorch's required ones; keyword arguments go in an options object.
 */
import { Tensor, normalizeDim, resolveShape, type Shape } from './tensor';
import { record } from './autograd';
import { conv2dForward, conv2dGeometry } from './kernels/conv2d';
import { matmulKernel } from './kernels/matmul';
import { batchNormApply, batchNormEvalStats, batchNormStats, layerNormForward } from './kernels/norm';
import { adaptiveGeometry, avgPoolForward, maxPoolForward, poolGeometry } from './kernels/pool';
import { crossEntropyForward, dropoutMask, softmaxForward } from './kernels/softmax';
import { binary, contiguousStrides, fillTensor, permuteCopy, stridedCopy, unary } from './kernels/elementwise';
import { random } from '../nn/init';
import { installTensorMethods } from './tensor_methods';

export type IntPair = number | readonly [number, number];

export interface Conv2dOptions {
  stride?: IntPair;
  padding?: IntPair;
  dilation?: IntPair;
  groups?: number;
}

export interface Pool2dOptions {
  stride?: IntPair | null;
  padding?: IntPair;
}

export interface BatchNormOptions {
  training: boolean;
  momentum: number;
  eps: number;
}

export function pair(v: IntPair): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

function floatInput(x: Tensor, op: string): void {
  x.assertLive(op);
  if (x.dtype !== 'float32') throw new Error(`${op}: expected a float32 tensor, got ${x.dtype} [${x.shape.join(', ')}]`);
}

/** The loss with per-row statistics for training metrics (read back asynchronously, never in a step). */
export interface CrossEntropyWithStats {
  loss: Tensor;
  /** [2, N]: each row's loss, then 1 where the arg-max logit equals the target. */
  rows: Tensor;
}

/** cross_entropy that also returns per-row loss and correctness (what the training loop accumulates). */
export function cross_entropy_with_stats(logits: Tensor, target: Tensor): CrossEntropyWithStats {
  floatInput(logits, 'cross_entropy');
  target.assertLive('cross_entropy');
  if (logits.rank !== 2) throw new Error(`cross_entropy: logits must be [N, C], got [${logits.shape.join(', ')}]`);
  if (target.dtype !== 'int32' || target.rank !== 1 || target.shape[0] !== logits.shape[0]) {
    throw new Error(`cross_entropy: target must be int32 [${logits.shape[0]}], got ${target.dtype} [${target.shape.join(', ')}]`);
  }
  const { loss, probs, rows } = crossEntropyForward(logits, target);
  record('cross_entropy', [logits], loss, { probs, target });
  return { loss, rows };
}

function reshape(x: Tensor, shape: readonly number[]): Tensor {
  x.assertLive('reshape');
  const resolved = resolveShape(x.shape, shape);
  const y = x.viewRaw(resolved);
  return record('reshape', [x], y, { inputShape: x.shape });
}

export const F = {
  conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions = {}): Tensor {
    floatInput(x, 'conv2d');
    const geometry = conv2dGeometry(x.shape, weight.shape, {
      stride: pair(options.stride ?? 1),
      padding: pair(options.padding ?? 0),
      dilation: pair(options.dilation ?? 1),
      groups: options.groups ?? 1,
    });
    if (bias && bias.numel !== geometry.Cout) throw new Error(`conv2d: bias has ${bias.numel} values for ${geometry.Cout} output channels`);
    const y = conv2dForward(x, weight, bias, geometry);
    return record('conv2d', [x, weight, bias], y, { x, weight, geometry });
  },

  /** y = x Wᵀ + b over the last dimension of x. */
  linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
    floatInput(x, 'linear');
    const [out, inFeatures] = weight.shape as [number, number];
    if (x.shape[x.rank - 1] !== inFeatures) {
      throw new Error(`linear: input [${x.shape.join(', ')}] does not end in in_features=${inFeatures} (weight [${weight.shape.join(', ')}])`);
    }
    const rows = x.numel / inFeatures;
    const x2d = x.rank === 2 ? x : x.viewRaw([rows, inFeatures]);
    const y = matmulKernel(x2d, weight, { transB: true, bias, outShape: [...x.shape.slice(0, -1), out] });
    return record('linear', [x, weight, bias], y, { x2d, weight, xShape: x.shape });
  },

  /** Normalizes over channel dim 1; in training, uses batch statistics and updates the running ones in place. */
  batch_norm(
    x: Tensor,
    runningMean: Tensor,
    runningVar: Tensor,
    weight: Tensor | null,
    bias: Tensor | null,
    options: BatchNormOptions,
  ): Tensor {
    floatInput(x, 'batch_norm');
    const C = x.shape[1];
    if (x.rank < 2 || runningMean.numel !== C || runningVar.numel !== C) {
      throw new Error(`batch_norm: input [${x.shape.join(', ')}] and running statistics of ${runningMean.numel} channels disagree`);
    }
    if (options.training && x.numel / C <= 1) {
      throw new Error(`batch_norm: expected more than 1 value per channel when training, got input [${x.shape.join(', ')}]`);
    }
    const stats = options.training
      ? batchNormStats(x, runningMean, runningVar, options.momentum, options.eps, true)
      : batchNormEvalStats(runningMean, runningVar, options.eps);
    const w = weight ?? fillTensor([C!], 1);
    const b = bias ?? fillTensor([C!], 0);
    const y = batchNormApply(x, stats, w, b);
    return record('batch_norm', [x, weight, bias], y, { x, stats, weight: w, training: options.training });
  },

  layer_norm(x: Tensor, normalizedShape: readonly number[], weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
    floatInput(x, 'layer_norm');
    const tail = x.shape.slice(x.rank - normalizedShape.length);
    if (normalizedShape.length > x.rank || tail.some((d, i) => d !== normalizedShape[i])) {
      throw new Error(`layer_norm: input [${x.shape.join(', ')}] does not end in normalized_shape [${normalizedShape.join(', ')}]`);
    }
    const D = normalizedShape.reduce((a, b) => a * b, 1);
    const w = weight ?? fillTensor(normalizedShape, 1);
    const b = bias ?? fillTensor(normalizedShape, 0);
    const [y, stats] = layerNormForward(x, D, w, b, eps);
    return record('layer_norm', [x, weight, bias], y, { x, D, weight: w, stats, paramShape: normalizedShape });
  },

  relu(x: Tensor): Tensor {
    floatInput(x, 'relu');
    const y = unary('relu', x);
    return record('relu', [x], y, { y });
  },

  relu6(x: Tensor): Tensor {
    floatInput(x, 'relu6');
    const y = unary('relu6', x);
    return record('relu6', [x], y, { x });
  },

  max_pool2d(x: Tensor, kernelSize: IntPair, options: Pool2dOptions = {}): Tensor {
    floatInput(x, 'max_pool2d');
    const kernel = pair(kernelSize);
    const geometry = poolGeometry(x.shape, kernel, pair(options.stride ?? kernel), pair(options.padding ?? 0), 'max_pool2d');
    const [y, argmax] = maxPoolForward(x, geometry);
    return record('max_pool2d', [x], y, { argmax, geometry, y });
  },

  avg_pool2d(x: Tensor, kernelSize: IntPair, options: Pool2dOptions = {}): Tensor {
    floatInput(x, 'avg_pool2d');
    const kernel = pair(kernelSize);
    const geometry = poolGeometry(x.shape, kernel, pair(options.stride ?? kernel), pair(options.padding ?? 0), 'avg_pool2d');
    const y = avgPoolForward(x, geometry);
    return record('avg_pool2d', [x], y, { geometry });
  },

  adaptive_avg_pool2d(x: Tensor, outputSize: IntPair): Tensor {
    floatInput(x, 'adaptive_avg_pool2d');
    const geometry = adaptiveGeometry(x.shape, pair(outputSize));
    const y = avgPoolForward(x, geometry);
    return record('avg_pool2d', [x], y, { geometry });
  },

  /** Zeroes elements with probability p while training and scales the rest by 1/(1-p); identity otherwise. */
  dropout(x: Tensor, p: number, training: boolean): Tensor {
    floatInput(x, 'dropout');
    if (p < 0 || p > 1) throw new Error(`dropout: probability has to be between 0 and 1, but got ${p}`);
    if (!training || p === 0) return x;
    const seed = Math.floor(random() * 4294967296) >>> 0;
    const y = dropoutMask(x, p, seed);
    return record('dropout', [x], y, { p, seed });
  },

  softmax(x: Tensor, dim: number): Tensor {
    floatInput(x, 'softmax');
    const d = normalizeDim(dim, x.rank, 'softmax');
    const y = softmaxForward(x, d);
    return record('softmax', [x], y, { y, dim: d });
  },

  /** Mean cross-entropy of logits [N, C] against int32 class indices [N]. */
  cross_entropy(logits: Tensor, target: Tensor): Tensor {
    return cross_entropy_with_stats(logits, target).loss;
  },

  add(a: Tensor, b: Tensor): Tensor {
    floatInput(a, 'add');
    floatInput(b, 'add');
    const y = binary('add', a, b);
    return record('add', [a, b], y, { aShape: a.shape, bShape: b.shape });
  },

  sub(a: Tensor, b: Tensor): Tensor {
    floatInput(a, 'sub');
    floatInput(b, 'sub');
    const y = binary('sub', a, b);
    return record('sub', [a, b], y, { aShape: a.shape, bShape: b.shape });
  },

  mul(a: Tensor, b: Tensor): Tensor {
    floatInput(a, 'mul');
    floatInput(b, 'mul');
    const y = binary('mul', a, b);
    return record('mul', [a, b], y, { a, b });
  },

  /** a / b with broadcasting (QAT conv+BN folding divides by γ/σ). */
  div(a: Tensor, b: Tensor): Tensor {
    floatInput(a, 'div');
    floatInput(b, 'div');
    const y = binary('div', a, b);
    return record('div', [a, b], y, { aShape: a.shape, b, y });
  },

  sqrt(x: Tensor): Tensor {
    floatInput(x, 'sqrt');
    const y = unary('sqrt', x);
    return record('sqrt', [x], y, { y });
  },

  /** torch.matmul: batched with broadcasting; a 1-D operand is a row (left) or a column (right). */
  matmul(a: Tensor, b: Tensor): Tensor {
    floatInput(a, 'matmul');
    floatInput(b, 'matmul');
    if (a.rank === 1 || b.rank === 1) {
      const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]!]) : a;
      const b2 = b.rank === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
      const y = F.matmul(a2, b2);
      const shape = [...y.shape];
      if (b.rank === 1) shape.pop();
      if (a.rank === 1) shape.splice(shape.length - (b.rank === 1 ? 1 : 2), 1);
      return reshape(y, shape);
    }
    const y = matmulKernel(a, b);
    return record('matmul', [a, b], y, { a, b });
  },

  cat(xs: readonly Tensor[], dim: number): Tensor {
    if (xs.length === 0) throw new Error('cat: expected a non-empty list of tensors');
    const first = xs[0]!;
    const d = normalizeDim(dim, first.rank, 'cat');
    xs.forEach((x, i) => {
      floatInput(x, 'cat');
      if (x.rank !== first.rank || x.shape.some((s, k) => k !== d && s !== first.shape[k])) {
        throw new Error(`cat: tensor ${i} has shape [${x.shape.join(', ')}], which does not match [${first.shape.join(', ')}] outside dim ${d}`);
      }
    });
    const shape = [...first.shape];
    shape[d] = xs.reduce((s, x) => s + x.shape[d]!, 0);
    const out = new Tensor(shape);
    const outStrides = contiguousStrides(shape);
    let offset = 0;
    for (const x of xs) {
      stridedCopy(x, { offset: 0, strides: contiguousStrides(x.shape) }, out, { offset: offset * outStrides[d]!, strides: outStrides }, x.shape);
      offset += x.shape[d]!;
    }
    return record('cat', xs, out, { shapes: xs.map((x) => x.shape), dim: d });
  },

  flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
    x.assertLive('flatten');
    if (x.rank === 0) return reshape(x, [1]);
    const s = normalizeDim(startDim, x.rank, 'flatten');
    const e = normalizeDim(endDim, x.rank, 'flatten');
    if (s > e) throw new Error(`flatten: start_dim ${startDim} comes after end_dim ${endDim}`);
    const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
    return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
  },

  reshape(x: Tensor, shape: readonly number[]): Tensor {
    return reshape(x, shape);
  },

  permute(x: Tensor, dims: readonly number[]): Tensor {
    floatInput(x, 'permute');
    const d = dims.map((v) => normalizeDim(v, x.rank, 'permute'));
    if (d.length !== x.rank || new Set(d).size !== d.length) {
      throw new Error(`permute: dims (${dims.join(', ')}) are not a permutation of ${x.rank} dimensions`);
    }
    const y = permuteCopy(x, d);
    return record('permute', [x], y, { dims: d });
  },
};

export type Functional = typeof F;

/** Shapes of the DSL's Tensor methods come from here (x.relu() is F.relu(x), and so on). */
export type { Shape };

installTensorMethods(F);
