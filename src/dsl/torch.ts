/**
 * The `torch` side of the DSL: `torch.*` functions, the `F` (torch.nn.functional) namespace and the `nn`
 * namespace as user code sees them. Every op works on both kinds of value it can meet: a real tensor
 * (eager execution: the engine op runs) and a trace value (tracing: a graph node is recorded).
 */
import { F as engineF, type Conv2dOptions, type IntPair, type Pool2dOptions } from '../engine/functional';
import { Tensor, type DType, type Shape } from '../engine/tensor';
import * as nnIndex from '../nn/index';
import { random } from '../nn/init';
import { resolveShape } from '../graph/ops';
import { TraceValue, assertNotTraced, binaryOp, findTraceValue } from '../graph/trace_value';

/** A tensor, or a value being traced. */
export type TensorLike = Tensor | TraceValue;

function traced(args: unknown[]): TraceValue | null {
  return findTraceValue(args);
}

function scalarTensor(value: number): Tensor {
  return Tensor.fromArray([value], [1]);
}

function add(a: TensorLike | number, b: TensorLike | number): TensorLike {
  if (a instanceof TraceValue || b instanceof TraceValue) return binaryOp('add', a, b);
  return engineF.add(typeof a === 'number' ? scalarTensor(a) : a, typeof b === 'number' ? scalarTensor(b) : b);
}

function sub(a: TensorLike | number, b: TensorLike | number): TensorLike {
  if (a instanceof TraceValue || b instanceof TraceValue) return binaryOp('sub', a, b);
  return engineF.sub(typeof a === 'number' ? scalarTensor(a) : a, typeof b === 'number' ? scalarTensor(b) : b);
}

function mul(a: TensorLike | number, b: TensorLike | number): TensorLike {
  if (a instanceof TraceValue || b instanceof TraceValue) return binaryOp('mul', a, b);
  return engineF.mul(typeof a === 'number' ? scalarTensor(a) : a, typeof b === 'number' ? scalarTensor(b) : b);
}

function cat(tensors: readonly TensorLike[], dim = 0): TensorLike {
  const t = traced([tensors]);
  if (t) return t.tracer.callGenerated('cat', [tensors, dim]);
  return engineF.cat(tensors as Tensor[], dim);
}

function matmul(a: TensorLike, b: TensorLike): TensorLike {
  const t = traced([a, b]);
  if (t) return t.tracer.callGenerated('matmul', [a, b]);
  return engineF.matmul(a as Tensor, b as Tensor);
}

function functional<A extends unknown[]>(target: string, run: (...args: A) => Tensor): (...args: A) => TensorLike {
  return (...args: A) => {
    const t = traced(args);
    if (t) return t.tracer.callFunction(target, args);
    return run(...args);
  };
}

function flatShape(shape: readonly (number | readonly number[])[]): number[] {
  return (shape.length === 1 && Array.isArray(shape[0]) ? shape[0] : shape) as number[];
}

function randomNormal(n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = Math.max(random(), 1e-12);
    const u2 = random();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

function numel(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** torch.nn.functional, as far as the engine has it. */
export const F = {
  relu: functional('F.relu', (x: TensorLike) => engineF.relu(x as Tensor)),
  relu6: functional('F.relu6', (x: TensorLike) => engineF.relu6(x as Tensor)),
  max_pool2d: functional('F.max_pool2d', (x: TensorLike, kernel_size: IntPair, options: Pool2dOptions = {}) =>
    engineF.max_pool2d(x as Tensor, kernel_size, options),
  ),
  avg_pool2d: functional('F.avg_pool2d', (x: TensorLike, kernel_size: IntPair, options: Pool2dOptions = {}) =>
    engineF.avg_pool2d(x as Tensor, kernel_size, options),
  ),
  adaptive_avg_pool2d: functional('F.adaptive_avg_pool2d', (x: TensorLike, output_size: IntPair) =>
    engineF.adaptive_avg_pool2d(x as Tensor, output_size),
  ),
  dropout: functional('F.dropout', (x: TensorLike, p: number = 0.5, training: boolean = true) => engineF.dropout(x as Tensor, p, training)),
  softmax: functional('F.softmax', (x: TensorLike, dim: number) => engineF.softmax(x as Tensor, dim)),
  layer_norm: functional(
    'F.layer_norm',
    (x: TensorLike, normalized_shape: readonly number[], weight: Tensor | null = null, bias: Tensor | null = null, eps: number = 1e-5) =>
      engineF.layer_norm(x as Tensor, normalized_shape, weight, bias, eps),
  ),
  conv2d: functional('F.conv2d', (x: TensorLike, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}) =>
    engineF.conv2d(x as Tensor, weight, bias, options),
  ),
  linear: functional('F.linear', (x: TensorLike, weight: Tensor, bias: Tensor | null = null) => engineF.linear(x as Tensor, weight, bias)),
  cross_entropy: (logits: Tensor, target: Tensor) => engineF.cross_entropy(logits, target),
};

/** torch.nn, with `functional` as in PyTorch (`nn.functional.relu`); the engine's hook plumbing stays out. */
const { setModuleCallHook: _hook, callModule: _call, registerBuffer: _buffer, ...nnPublic } = nnIndex;
export const nn = { ...nnPublic, functional: F };

/** The `torch` namespace of the DSL. */
export const torch = {
  nn,
  add,
  sub,
  mul,
  cat,
  matmul,
  flatten: functional('torch.flatten', (x: TensorLike, start_dim: number = 0, end_dim: number = -1) => engineF.flatten(x as Tensor, start_dim, end_dim)),
  reshape: functional('torch.reshape', (x: TensorLike, shape: readonly number[]) =>
    engineF.reshape(x as Tensor, resolveShape((x as Tensor).shape, shape)),
  ),
  permute: functional('torch.permute', (x: TensorLike, dims: readonly number[]) => engineF.permute(x as Tensor, dims)),
  relu: functional('torch.relu', (x: TensorLike) => engineF.relu(x as Tensor)),
  /** Standard-normal values (seeded by manual_seed); `torch.randn(2, 3)` or `torch.randn([2, 3])`. */
  randn: (...shape: (number | readonly number[])[]) => {
    const s = flatShape(shape);
    return Tensor.fromArray(randomNormal(numel(s)), s);
  },
  rand: (...shape: (number | readonly number[])[]) => {
    const s = flatShape(shape);
    return Tensor.fromArray(Float32Array.from({ length: numel(s) }, () => random()), s);
  },
  zeros: (...shape: (number | readonly number[])[]) => Tensor.zeros(flatShape(shape)),
  ones: (...shape: (number | readonly number[])[]) => Tensor.full(flatShape(shape), 1),
  full: (shape: readonly number[], value: number) => Tensor.full(shape, value),
  tensor: (data: ArrayLike<number>, shape?: readonly number[], dtype: DType = 'float32') => Tensor.fromArray(data, shape ?? [data.length], dtype),
  manual_seed: nnIndex.manual_seed,
  Tensor,
  float32: 'float32' as const,
  int32: 'int32' as const,
  qint8: 'qint8' as const,
  quint8: 'quint8' as const,
  qint16: 'qint16' as const,
  qint32: 'qint32' as const,
};

/** What rewritten operators and conditions call (see compile.ts). */
export const dslRuntime = {
  add(a: unknown, b: unknown): unknown {
    if (a instanceof TraceValue || b instanceof TraceValue) return binaryOp('add', a, b);
    if (a instanceof Tensor || b instanceof Tensor) return add(a as Tensor | number, b as Tensor | number);
    return (a as number) + (b as number);
  },
  sub(a: unknown, b: unknown): unknown {
    if (a instanceof TraceValue || b instanceof TraceValue) return binaryOp('sub', a, b);
    if (a instanceof Tensor || b instanceof Tensor) return sub(a as Tensor | number, b as Tensor | number);
    return (a as number) - (b as number);
  },
  mul(a: unknown, b: unknown): unknown {
    if (a instanceof TraceValue || b instanceof TraceValue) return binaryOp('mul', a, b);
    if (a instanceof Tensor || b instanceof Tensor) return mul(a as Tensor | number, b as Tensor | number);
    return (a as number) * (b as number);
  },
  truth: assertNotTraced,
};
