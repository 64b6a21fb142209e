/**
 * GPU tensors. A tensor is a shape, a dtype and a pooled storage buffer. int8 and int16 are packed four
 * and two to a 32-bit word (WGSL has no 8- or 16-bit storage types in core).
 *
 * Lifetime: every tensor belongs to the innermost open `tidy` scope and is disposed when that scope
 * ends, unless it is returned from the scope or `keep`-ed (parameters, optimizer state, running stats).
 */
import { bufferPool } from './pool';
import { copyBuffer, readBuffer, writeBuffer } from './commands';
import { hasDevice } from './device';

export type DType = 'float32' | 'int32' | 'int8' | 'int16';

export const BYTES_PER_ELEMENT: Record<DType, number> = { float32: 4, int32: 4, int8: 1, int16: 2 };

export type Shape = readonly number[];

export function numelOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function byteSizeOf(shape: Shape, dtype: DType): number {
  return Math.ceil((numelOf(shape) * BYTES_PER_ELEMENT[dtype]) / 4) * 4;
}

export type HostArray = Float32Array | Int32Array | Int8Array | Int16Array;

/** A dimension index in [0, rank), from PyTorch's convention that negative counts from the end. */
export function normalizeDim(dim: number, rank: number, what: string): number {
  const d = dim < 0 ? dim + rank : dim;
  if (!Number.isInteger(d) || d < 0 || d >= Math.max(rank, 1)) {
    throw new Error(`${what}: dimension ${dim} is out of range for a tensor of rank ${rank}`);
  }
  return d;
}

/** `(2, 3)` or `([2, 3])` as a shape. */
export function flattenShapeArgs(args: readonly (number | Shape)[]): number[] {
  if (args.length === 1 && typeof args[0] !== 'number') return [...(args[0] as Shape)];
  return args.map((a) => {
    if (typeof a !== 'number') throw new Error('view/reshape: give the shape as numbers or as one array');
    return a;
  });
}

/** Fills in one -1 of a requested shape from the element count of `from`. */
export function resolveShape(from: Shape, shape: readonly number[]): number[] {
  const n = numelOf(from);
  const unknown = shape.indexOf(-1);
  if (shape.indexOf(-1, unknown + 1) !== -1 && unknown !== -1) throw new Error(`view: only one dimension can be -1, got [${shape.join(', ')}]`);
  if (unknown === -1) {
    if (numelOf(shape) !== n) throw new Error(`view: shape [${shape.join(', ')}] is invalid for input of size ${n} [${from.join(', ')}]`);
    return [...shape];
  }
  const known = shape.reduce((a, d, i) => (i === unknown ? a : a * d), 1);
  if (known === 0 || n % known !== 0) throw new Error(`view: shape [${shape.join(', ')}] is invalid for input of size ${n} [${from.join(', ')}]`);
  const out = [...shape];
  out[unknown] = n / known;
  return out;
}

/** The autograd node that produced a tensor (filled in by the tape in autograd.ts). */
export interface GradNode {
  readonly op: string;
}

let nextId = 1;
let liveTensors = 0;

export class Tensor {
  readonly id = nextId++;
  readonly shape: Shape;
  readonly dtype: DType;
  requiresGrad = false;
  grad: Tensor | null = null;
  gradNode: GradNode | null = null;
  /** Set on module parameters (nn.Parameter). */
  isParameter = false;
  /** A name for messages (parameter path, layer output). */
  name = '';
  private disposed = false;
  /** A view shares its base's buffer (reshape); only the base releases it. */
  private readonly base: Tensor | null;

  private storage: GPUBuffer | null;
  /** Values waiting to be uploaded: a tensor made without a device (tracing, checks) lives on the host. */
  private host: ArrayBufferView | null = null;

  constructor(shape: Shape, dtype: DType = 'float32', buffer?: GPUBuffer, base?: Tensor) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`Tensor: bad shape [${shape.join(', ')}]`);
    }
    this.shape = [...shape];
    this.dtype = dtype;
    this.base = base ?? null;
    this.storage = buffer ?? (hasDevice() ? bufferPool.acquire(byteSizeOf(shape, dtype)) : null);
    liveTensors++;
    track(this);
  }

  /** The GPU storage; a host-only tensor is uploaded on first use. */
  get buffer(): GPUBuffer {
    if (!this.storage) {
      this.assertLive('buffer');
      this.storage = bufferPool.acquire(this.byteSize);
      writeBuffer(this.storage, this.host ?? new Uint8Array(this.byteSize));
      this.host = null;
    }
    return this.storage;
  }

  /** Whether the values are still only on the host (no GPU buffer yet). */
  get onHost(): boolean {
    return this.storage === null;
  }

  get numel(): number {
    return numelOf(this.shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get byteSize(): number {
    return byteSizeOf(this.shape, this.dtype);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Whether this tensor shares another tensor's storage (made by `view`). */
  get isView(): boolean {
    return this.base !== null;
  }

  static empty(shape: Shape, dtype: DType = 'float32'): Tensor {
    return new Tensor(shape, dtype);
  }

  static fromArray(data: ArrayLike<number>, shape: Shape, dtype: DType = 'float32'): Tensor {
    const n = numelOf(shape);
    if (data.length !== n) {
      throw new Error(`Tensor.fromArray: ${data.length} values do not fill shape [${shape.join(', ')}] (${n})`);
    }
    const t = new Tensor(shape, dtype);
    const packed = packHost(data, dtype, t.byteSize);
    if (t.storage) writeBuffer(t.storage, packed);
    else t.host = packed;
    return t;
  }

  static zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
    const t = new Tensor(shape, dtype);
    if (t.storage) writeBuffer(t.storage, new Uint8Array(t.byteSize));
    return t;
  }

  static full(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
    return Tensor.fromArray(new Array<number>(numelOf(shape)).fill(value), shape, dtype);
  }

  /**
   * Same storage, new shape (no copy, not recorded by autograd): the engine's own reshape. The view keeps
   * the base alive until both are disposed.
   */
  viewRaw(shape: Shape): Tensor {
    const n = numelOf(shape);
    if (n !== this.numel) throw new Error(`view: cannot view [${this.shape.join(', ')}] as [${shape.join(', ')}]`);
    const root = this.base ?? this;
    root.viewCount++;
    return new Tensor(shape, this.dtype, root.buffer, root);
  }

  /**
   * PyTorch's view: `x.view(2, -1)` or `x.view([2, -1])`, sharing storage. Differentiable: functional.ts
   * installs the recording version (tensor_methods.ts); this is the plain one underneath.
   */
  view(...shape: (number | Shape)[]): Tensor {
    return this.viewRaw(resolveShape(this.shape, flattenShapeArgs(shape)));
  }

  /** `x.size()` is the shape; `x.size(dim)` one dimension (negative counts from the end). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return [...this.shape];
    return this.shape[normalizeDim(dim, this.rank, 'size')]!;
  }

  /** The number of dimensions (PyTorch's x.dim()). */
  dim(): number {
    return this.rank;
  }

  /** The same values without autograd history (shares storage). */
  detach(): Tensor {
    return this.viewRaw(this.shape);
  }

  private viewCount = 0;

  private releaseStorage(): void {
    if (this.storage) bufferPool.release(this.storage);
    this.storage = null;
    this.host = null;
  }

  /** Overwrites this tensor's values (same numel) from host data or another tensor of the same dtype. */
  assign(source: Tensor | ArrayLike<number>): void {
    this.assertLive('assign');
    if (source instanceof Tensor) {
      if (source.numel !== this.numel || source.dtype !== this.dtype) {
        throw new Error(`assign: [${source.shape.join(', ')}] ${source.dtype} into [${this.shape.join(', ')}] ${this.dtype}`);
      }
      copyBuffer(source.buffer, 0, this.buffer, 0, this.byteSize);
      return;
    }
    if (source.length !== this.numel) {
      throw new Error(`assign: ${source.length} values into [${this.shape.join(', ')}] (${this.numel})`);
    }
    const packed = packHost(source, this.dtype, this.byteSize);
    if (this.storage) writeBuffer(this.storage, packed);
    else this.host = packed;
  }

  /** Reads the values back to the CPU (unpacked: int8/int16 come back as Int8Array/Int16Array). */
  async read(): Promise<HostArray> {
    this.assertLive('read');
    const bytes = this.storage
      ? await readBuffer(this.storage, this.byteSize)
      : (this.host?.buffer.slice(0) as ArrayBuffer | undefined) ?? new ArrayBuffer(this.byteSize);
    return unpackHost(bytes, this.dtype, this.numel);
  }

  /** Reads a float tensor as plain numbers (tests and small metrics). */
  async toArray(): Promise<number[]> {
    return Array.from(await this.read());
  }

  assertLive(what: string): void {
    if (this.disposed) throw new Error(`${what}: tensor ${this.name || this.id} was already disposed`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    liveTensors--;
    untrack(this);
    if (this.base) {
      this.base.viewCount--;
      if (this.base.disposed && this.base.viewCount === 0) this.base.releaseStorage();
    } else if (this.viewCount === 0) {
      this.releaseStorage();
    }
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }
}

function packHost(data: ArrayLike<number>, dtype: DType, bytes: number): ArrayBufferView {
  const out = new ArrayBuffer(bytes);
  switch (dtype) {
    case 'float32':
      new Float32Array(out).set(data);
      break;
    case 'int32':
      new Int32Array(out).set(data);
      break;
    case 'int8':
      new Int8Array(out).set(data);
      break;
    case 'int16':
      new Int16Array(out).set(data);
      break;
  }
  return new Uint8Array(out);
}

function unpackHost(bytes: ArrayBuffer, dtype: DType, n: number): HostArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(bytes, 0, n);
    case 'int32':
      return new Int32Array(bytes, 0, n);
    case 'int8':
      return new Int8Array(bytes, 0, n);
    case 'int16':
      return new Int16Array(bytes, 0, n);
  }
}

// ---- scopes -----------------------------------------------------------------------------------

const scopes: Set<Tensor>[] = [];

function track(t: Tensor): void {
  scopes[scopes.length - 1]?.add(t);
}

function untrack(t: Tensor): void {
  scopes[scopes.length - 1]?.delete(t);
}

/** Takes a tensor out of every open scope: it lives until disposed by hand. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

type Returned = Tensor | readonly Returned[] | { readonly [k: string]: Returned } | void | number | string | boolean | null;

function collect(value: unknown, out: Set<Tensor>): void {
  if (value instanceof Tensor) out.add(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collect(v, out);
}

/**
 * Runs `fn` in a scope: tensors it creates are disposed at the end, except those it returns (which move
 * to the enclosing scope). Like tf.tidy. Not for async functions: a scope must close in the same turn.
 */
export function tidy<T extends Returned>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const survivors = new Set<Tensor>();
  collect(result, survivors);
  for (const t of scope) {
    if (survivors.has(t)) track(t);
    else t.dispose();
  }
  return result;
}

export function liveTensorCount(): number {
  return liveTensors;
}
