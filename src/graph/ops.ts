/**
 * How a GraphModule runs `call_function` and `call_method` nodes on real tensors. Targets are the names
 * the graph prints (`torch.flatten`, `F.relu`, or a tensor method name); each maps to an engine op.
 */
import { F } from '../engine/functional';
import type { Tensor } from '../engine/tensor';

type Op = (...args: unknown[]) => unknown;

/** A shape with at most one -1 resolved against the element count (view/reshape). */
export function resolveShape(from: readonly number[], to: readonly number[]): number[] {
  const numel = from.reduce((a, b) => a * b, 1);
  const known = to.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const unknown = to.filter((d) => d === -1).length;
  if (unknown > 1) throw new Error(`view/reshape: only one dimension can be -1, got [${to.join(', ')}]`);
  const out = to.map((d) => (d === -1 ? numel / known : d));
  if (out.reduce((a, b) => a * b, 1) !== numel || out.some((d) => !Number.isInteger(d))) {
    throw new Error(`view/reshape: shape [${to.join(', ')}] is invalid for input of shape [${from.join(', ')}]`);
  }
  return out;
}

/** `view(2, 3)`, `view([2, 3])` both mean shape [2, 3] (as in PyTorch). */
function shapeArgs(args: unknown[]): number[] {
  return (args.length === 1 && Array.isArray(args[0]) ? args[0] : args) as number[];
}

function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return F.reshape(x, resolveShape(x.shape, shape));
}

function size(x: Tensor, dim?: number): number | number[] {
  if (dim === undefined) return [...x.shape];
  const d = dim < 0 ? x.shape.length + dim : dim;
  if (d < 0 || d >= x.shape.length) throw new Error(`size: dim ${dim} out of range for shape [${x.shape.join(', ')}]`);
  return x.shape[d]!;
}

export const FUNCTIONS: Record<string, Op> = {
  'torch.flatten': (x, start = 0, end = -1) => F.flatten(x as Tensor, start as number, end as number),
  'torch.reshape': (x, shape) => reshape(x as Tensor, shape as number[]),
  'torch.permute': (x, dims) => F.permute(x as Tensor, dims as number[]),
  'torch.relu': (x) => F.relu(x as Tensor),
  'F.relu': (x) => F.relu(x as Tensor),
  'F.relu6': (x) => F.relu6(x as Tensor),
  'F.max_pool2d': (x, k, o) => F.max_pool2d(x as Tensor, k as number, (o ?? {}) as object),
  'F.avg_pool2d': (x, k, o) => F.avg_pool2d(x as Tensor, k as number, (o ?? {}) as object),
  'F.adaptive_avg_pool2d': (x, s) => F.adaptive_avg_pool2d(x as Tensor, s as number),
  'F.dropout': (x, p = 0.5, training = true) => F.dropout(x as Tensor, p as number, training as boolean),
  'F.softmax': (x, dim) => F.softmax(x as Tensor, dim as number),
  'F.layer_norm': (x, shape, w = null, b = null, eps = 1e-5) =>
    F.layer_norm(x as Tensor, shape as number[], w as Tensor | null, b as Tensor | null, eps as number),
  'F.conv2d': (x, w, b = null, o = {}) => F.conv2d(x as Tensor, w as Tensor, b as Tensor | null, o as object),
  'F.linear': (x, w, b = null) => F.linear(x as Tensor, w as Tensor, b as Tensor | null),
  getitem: (a, i) => (a as unknown[])[i as number],
};

export const METHODS: Record<string, Op> = {
  flatten: (x, start = 0, end = -1) => F.flatten(x as Tensor, start as number, end as number),
  view: (x, ...shape) => reshape(x as Tensor, shapeArgs(shape)),
  reshape: (x, ...shape) => reshape(x as Tensor, shapeArgs(shape)),
  permute: (x, ...dims) => F.permute(x as Tensor, shapeArgs(dims)),
  relu: (x) => F.relu(x as Tensor),
  contiguous: (x) => x,
  size: (x, dim) => size(x as Tensor, dim as number | undefined),
};

/** The display name of a functional op (how the DSL spells it). */
export function isKnownFunction(target: string): boolean {
  return target in FUNCTIONS;
}
