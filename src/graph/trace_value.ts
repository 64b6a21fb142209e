/**
 * TraceValue: what a tensor is while forward is being traced (torch.fx's Proxy). Every tensor method or
 * functional op applied to it adds a node to the graph instead of computing anything, so tracing needs
 * no tensor math and no GPU.
 */
import type { Node, SourceLoc } from './node';
import { currentUserLocation } from '../dsl/sources';

/**
 * Raised for code that cannot be traced (data-dependent control flow, unknown modules, ...). The
 * message ends with where in the user's code it happened, when that is known.
 */
export class TraceError extends Error {
  readonly userLocation: SourceLoc | undefined;

  constructor(message: string) {
    const loc = currentUserLocation();
    super(loc ? `${message} (${loc.file}:${loc.line}:${loc.column})` : message);
    this.name = 'TraceError';
    this.userLocation = loc;
  }
}

/** A generated-module op (becomes `_generated_<kind>_<n>`, a FloatFunctional, so it can have an observer). */
export type GeneratedKind = 'add' | 'sub' | 'mul' | 'cat' | 'matmul' | 'add_scalar' | 'mul_scalar';

/** What a trace value needs from the tracer that made it. */
export interface TracerApi {
  callMethod(method: string, args: unknown[]): TraceValue;
  callFunction(target: string, args: unknown[]): TraceValue;
  callGenerated(kind: GeneratedKind, args: unknown[]): TraceValue;
}

export class TraceValue {
  constructor(
    readonly node: Node,
    readonly tracer: TracerApi,
  ) {}

  add(other: unknown): TraceValue {
    return binaryOp('add', this, other);
  }

  sub(other: unknown): TraceValue {
    return binaryOp('sub', this, other);
  }

  mul(other: unknown): TraceValue {
    return binaryOp('mul', this, other);
  }

  matmul(other: unknown): TraceValue {
    return this.tracer.callGenerated('matmul', [this, other]);
  }

  flatten(start_dim = 0, end_dim = -1): TraceValue {
    return this.tracer.callMethod('flatten', [this, start_dim, end_dim]);
  }

  view(...shape: unknown[]): TraceValue {
    return this.tracer.callMethod('view', [this, ...shape]);
  }

  reshape(...shape: unknown[]): TraceValue {
    return this.tracer.callMethod('reshape', [this, ...shape]);
  }

  permute(...dims: unknown[]): TraceValue {
    return this.tracer.callMethod('permute', [this, ...dims]);
  }

  relu(): TraceValue {
    return this.tracer.callMethod('relu', [this]);
  }

  contiguous(): TraceValue {
    return this.tracer.callMethod('contiguous', [this]);
  }

  /** `x.size()` or `x.size(dim)`: a traced value usable as a shape argument (e.g. `x.view(x.size(0), -1)`). */
  size(dim?: number): TraceValue {
    return this.tracer.callMethod('size', dim === undefined ? [this] : [this, dim]);
  }

  /** `x.shape[i]` as a traced value; the rank itself is not known while tracing. */
  get shape(): readonly TraceValue[] {
    const sizes = this.tracer.callMethod('size', [this]);
    return new Proxy([] as TraceValue[], {
      get: (_target, key) => {
        if (typeof key === 'string' && /^\d+$/.test(key)) return sizes.tracer.callFunction('getitem', [sizes, Number(key)]);
        throw new TraceError(
          `x.shape.${String(key)} of a traced tensor (${this.node.name}) is not known while tracing; index it (x.shape[0]) or use x.size(dim)`,
        );
      },
    });
  }

  [Symbol.toPrimitive](hint: string): string {
    if (hint === 'string') return `Proxy(${this.node.name})`;
    throw new TraceError(
      `data-dependent value: the traced tensor '${this.node.name}' was used as a ${hint === 'number' ? 'number' : 'primitive value'} ` +
        '(a comparison, an arithmetic operator other than + and *, or a condition). The graph cannot depend on tensor values: ' +
        'compute this in a module, or make it depend on constructor arguments.',
    );
  }

  toString(): string {
    return `Proxy(${this.node.name})`;
  }
}

/**
 * `a + b`, `a - b`, `a * b` with at least one traced operand. Tensor-scalar ops are the scalar modules:
 * x - s is x + (-s), and s - x is (-1 * x) + s.
 */
export function binaryOp(kind: 'add' | 'sub' | 'mul', a: unknown, b: unknown): TraceValue {
  const traced = a instanceof TraceValue ? a : (b as TraceValue);
  const tracer = traced.tracer;
  if (kind === 'sub') {
    if (typeof b === 'number') return tracer.callGenerated('add_scalar', [a, -b]);
    if (typeof a === 'number') return tracer.callGenerated('add_scalar', [tracer.callGenerated('mul_scalar', [b, -1]), a]);
    return tracer.callGenerated('sub', [a, b]);
  }
  if (typeof b === 'number') return tracer.callGenerated(`${kind}_scalar`, [a, b]);
  if (typeof a === 'number') return tracer.callGenerated(`${kind}_scalar`, [b, a]);
  return tracer.callGenerated(kind, [a, b]);
}

/** Whether a value (or anything nested in an array/plain object) is a trace value. */
export function containsTraceValue(value: unknown): boolean {
  if (value instanceof TraceValue) return true;
  if (Array.isArray(value)) return value.some(containsTraceValue);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).some(containsTraceValue);
  }
  return false;
}

/** Throws for a trace value used as a condition (`if (x)`, `x ? a : b`, `!x`, `x && y`); returns the value otherwise. */
export function assertNotTraced<T>(value: T): T {
  if (value instanceof TraceValue) {
    throw new TraceError(
      `data-dependent control flow: the traced tensor '${value.node.name}' is used as a condition. ` +
        'The graph cannot branch on tensor values; branch on constructor settings instead.',
    );
  }
  return value;
}

export function findTraceValue(value: unknown): TraceValue | null {
  if (value instanceof TraceValue) return value;
  if (Array.isArray(value)) {
    for (const v of value) {
      const found = findTraceValue(v);
      if (found) return found;
    }
  } else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) {
      const found = findTraceValue(v);
      if (found) return found;
    }
  }
  return null;
}

/**
 * PyTorch tensor methods the graph cannot record yet: using one while tracing says so by name, instead
 * of JavaScript's "x.sigmoid is not a function".
 */
const UNSUPPORTED_METHODS = [
  'sigmoid', 'tanh', 'softmax', 'sum', 'mean', 'max', 'min', 'exp', 'log', 'sqrt', 'abs', 'transpose', 'squeeze',
  'unsqueeze', 't', 'div', 'pow', 'clamp', 'float', 'int', 'detach', 'item', 'tolist', 'chunk', 'split',
  'expand', 'repeat', 'argmax', 'topk', 'gather', 'norm', 'std', 'var', 'neg', 'to', 'bmm', 'mm', 'dim', 'numel',
  'unbind', 'where', 'flip', 'cumsum', 'prod', 'eq', 'ne', 'gt', 'lt', 'ge', 'le', 'backward',
];
const SUPPORTED_METHODS = ['add', 'sub', 'mul', 'matmul', 'flatten', 'view', 'reshape', 'permute', 'relu', 'contiguous', 'size', 'shape'];

for (const name of UNSUPPORTED_METHODS) {
  Object.defineProperty(TraceValue.prototype, name, {
    get(this: TraceValue) {
      throw new TraceError(
        `Tensor.${name} is not supported in forward (traced tensor '${this.node.name}'); supported tensor methods: ${SUPPORTED_METHODS.join(', ')}`,
      );
    },
  });
}
