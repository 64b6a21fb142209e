/**
 * Elementwise kernels: one program for every unary op and one for every binary op, each a table of WGSL
 * snippets (as tfjs's WebGPU backend does), plus the layout helpers built on a strided copy (permute,
 * slice, cat pieces, broadcast expand) and row sums (reducing a broadcast gradient to its input's shape).
 */
import unaryWgsl from '../../../shaders/unary.wgsl?raw';
import binaryWgsl from '../../../shaders/binary.wgsl?raw';
import binaryBroadcastWgsl from '../../../shaders/binary_broadcast.wgsl?raw';
import fillWgsl from '../../../shaders/fill.wgsl?raw';
import stridedCopyWgsl from '../../../shaders/strided_copy.wgsl?raw';
import sumRowsWgsl from '../../../shaders/sum_rows.wgsl?raw';
import { Tensor, numelOf, type Shape } from '../tensor';
import { copy } from './copy';
import { launch1d, launchVec4 } from './launch';
import { dispatch } from '../commands';
import { getPipeline } from '../pipelines';
import { grid1d } from '../grid';
import { Uniforms } from './launch';

/** The bindings of shaders/binary.wgsl: a new output, or `a` updated in place. */
const BINARY_OUT = `
@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> params: Params;
fn store(i: u32, v: vec4<f32>) { out[i] = v; }
`;
const BINARY_INPLACE = `
@group(0) @binding(0) var<storage, read_write> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;
fn store(i: u32, v: vec4<f32>) { a[i] = v; }
`;

/** Unary ops: a vec4 expression in `x` (and the uniforms `alpha`, `beta`). */
export const UNARY_OPS = {
  relu: 'max(x, vec4<f32>(0.0))',
  relu6: 'clamp(x, vec4<f32>(0.0), vec4<f32>(6.0))',
  neg: '-x',
  /** alpha * x + beta */
  affine: 'x * alpha + beta',
  exp: 'exp(x)',
  sqrt: 'sqrt(x)',
} as const;

/** Binary ops: a vec4 expression in `a` and `b` (and `alpha`, `beta`). */
export const BINARY_OPS = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  /** alpha * a + beta * b */
  axpby: 'alpha * a + beta * b',
  /** relu backward: a = gy, b = relu's output (PyTorch's threshold_backward on the result). */
  relu_backward: 'select(vec4<f32>(0.0), a, b > vec4<f32>(0.0))',
  /** relu6 backward: a = gy, b = relu6's input (hardtanh_backward: zero at and beyond the bounds). */
  relu6_backward: 'select(vec4<f32>(0.0), a, (b > vec4<f32>(0.0)) & (b < vec4<f32>(6.0)))',
} as const;

export type UnaryOp = keyof typeof UNARY_OPS;
export type BinaryOp = keyof typeof BINARY_OPS;

function unaryFn(op: UnaryOp): string {
  return `fn op(x: vec4<f32>, alpha: f32, beta: f32) -> vec4<f32> { return ${UNARY_OPS[op]}; }\n`;
}

function binaryFn(op: BinaryOp): string {
  return `fn op(a: vec4<f32>, b: vec4<f32>, alpha: f32, beta: f32) -> vec4<f32> { return ${BINARY_OPS[op]}; }\n`;
}

/** The scalar form of a binary op, for the broadcasting kernel. */
function binaryScalarFn(op: BinaryOp): string {
  return `${binaryFn(op)}fn op1(a: f32, b: f32, alpha: f32, beta: f32) -> f32 { return op(vec4<f32>(a), vec4<f32>(b), alpha, beta).x; }\n`;
}

function assertFloat(t: Tensor, what: string): void {
  t.assertLive(what);
  if (t.dtype !== 'float32') throw new Error(`${what}: expected a float32 tensor, got ${t.dtype} [${t.shape.join(', ')}]`);
}

export function unary(op: UnaryOp, x: Tensor, alpha = 0, beta = 0): Tensor {
  assertFloat(x, op);
  const y = new Tensor(x.shape);
  launchVec4(`unary:${op}`, () => unaryFn(op) + unaryWgsl, [x.buffer, y.buffer], x.numel, (u) => u.f32(alpha, beta));
  return y;
}

/** The broadcast shape of two shapes (PyTorch rules), or an error naming both. */
export function broadcastShapes(a: Shape, b: Shape, what = 'broadcast'): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${what}: shapes [${a.join(', ')}] and [${b.join(', ')}] are not broadcastable (dim ${i}: ${da} vs ${db})`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Row-major strides of a shape. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** Strides that read `shape` (right-aligned) as if expanded to `outShape`: 0 along broadcast dims. */
function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = contiguousStrides(shape);
  return outShape.map((d, i) => {
    const k = shape.length - outShape.length + i;
    if (k < 0) return 0;
    return shape[k] === 1 && d !== 1 ? 0 : own[k]!;
  });
}

const MAX_RANK = 8;

export function binary(op: BinaryOp, a: Tensor, b: Tensor, alpha = 0, beta = 0): Tensor {
  assertFloat(a, op);
  assertFloat(b, op);
  if (sameShape(a.shape, b.shape)) {
    const out = new Tensor(a.shape);
    launchVec4(`binary:${op}`, () => binaryFn(op) + BINARY_OUT + binaryWgsl, [a.buffer, b.buffer, out.buffer], a.numel, (u) => u.f32(alpha, beta));
    return out;
  }
  const shape = broadcastShapes(a.shape, b.shape, op);
  if (shape.length > MAX_RANK) throw new Error(`${op}: rank ${shape.length} is above the supported ${MAX_RANK}`);
  if (alpha !== 0 || beta !== 0) throw new Error(`${op}: alpha/beta are only supported for same-shape operands`);
  const out = new Tensor(shape);
  launch1d(`binary_bc:${op}`, () => binaryScalarFn(op) + binaryBroadcastWgsl, [a.buffer, b.buffer, out.buffer], out.numel, (u) =>
    u
      .u32(shape.length, 0)
      .u32Array(shape, 2)
      .u32Array(broadcastStrides(a.shape, shape), 2)
      .u32Array(broadcastStrides(b.shape, shape), 2),
  );
  return out;
}

/** a = op(a, b) in place; same numel. */
export function binaryInPlace(op: BinaryOp, a: Tensor, b: Tensor, alpha = 0, beta = 0): void {
  assertFloat(a, op);
  assertFloat(b, op);
  if (a.numel !== b.numel) throw new Error(`${op} in place: [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ in size`);
  launchVec4(`binary_inplace:${op}`, () => binaryFn(op) + BINARY_INPLACE + binaryWgsl, [a.buffer, b.buffer], a.numel, (u) => u.f32(alpha, beta));
}

/** dst += src (gradient accumulation). */
export function addInto(dst: Tensor, src: Tensor): void {
  binaryInPlace('add', dst, src);
}

export function addTensors(a: Tensor, b: Tensor): Tensor {
  return binary('add', a, b);
}

export function copyTensor(x: Tensor): Tensor {
  return copy(x);
}

/** A new float tensor filled with `value`, in order with the other GPU work. */
export function fillTensor(shape: Shape, value: number): Tensor {
  const t = new Tensor(shape);
  fillInto(t, value);
  return t;
}

export function fillInto(t: Tensor, value: number): void {
  launchVec4('fill', () => fillWgsl, [t.buffer], t.numel, (u) => u.f32(value, 0));
}

export interface StridedRegion {
  offset: number;
  strides: readonly number[];
}

/** Copies `shape` elements from src (offset/strides) to dst (offset/strides). */
export function stridedCopy(src: Tensor, from: StridedRegion, dst: Tensor, to: StridedRegion, shape: Shape): void {
  if (shape.length > MAX_RANK) throw new Error(`strided copy: rank ${shape.length} is above the supported ${MAX_RANK}`);
  const n = numelOf(shape);
  if (n === 0) return;
  launch1d('strided_copy', () => stridedCopyWgsl, [src.buffer, dst.buffer], n, (u) =>
    u
      .u32(shape.length, from.offset, to.offset, 0, 0, 0)
      .u32Array(shape, 2)
      .u32Array(from.strides, 2)
      .u32Array(to.strides, 2),
  );
}

/** x permuted: out.shape[i] = x.shape[dims[i]] (a copy, contiguous). */
export function permuteCopy(x: Tensor, dims: readonly number[]): Tensor {
  const strides = contiguousStrides(x.shape);
  const shape = dims.map((d) => x.shape[d]!);
  const out = new Tensor(shape);
  stridedCopy(x, { offset: 0, strides: dims.map((d) => strides[d]!) }, out, { offset: 0, strides: contiguousStrides(shape) }, shape);
  return out;
}

/** x expanded (broadcast) to `shape`, as a contiguous copy. */
export function expandCopy(x: Tensor, shape: Shape): Tensor {
  broadcastShapes(x.shape, shape, 'expand');
  const out = new Tensor(shape);
  stridedCopy(x, { offset: 0, strides: broadcastStrides(x.shape, shape) }, out, { offset: 0, strides: contiguousStrides(shape) }, shape);
  return out;
}

const SUM_WG = 64;

/** Sums each row of a row-major [rows, len] tensor (or its first rows·len values) times `scale`: [rows] or `outShape`. */
export function sumRows(x: Tensor, rows: number, len: number, scale = 1, outShape: Shape = [rows]): Tensor {
  assertFloat(x, 'sum');
  if (rows * len > x.numel) throw new Error(`sumRows: [${rows}, ${len}] is more than the ${x.numel} elements of the input`);
  // Long rows with few of them: split each row so both cores (and a real GPU's many) have work.
  const splits = len >= 4096 && rows < 256 ? Math.min(256, Math.ceil(len / 1024)) : 1;
  const chunk = Math.ceil(len / splits);
  const pipeline = getPipeline('sum_rows', () => sumRowsWgsl, { WG: SUM_WG });
  const run = (input: Tensor, n: number, rowLen: number, parts: number, part: number, s: number, shape: Shape): Tensor => {
    const out = new Tensor(shape);
    const [gx, gy, stride] = grid1d(n * parts, SUM_WG);
    dispatch(pipeline, [input.buffer, out.buffer], [gx, gy], new Uniforms().u32(n * parts, stride, rowLen, parts, part).f32(s).build());
    return out;
  };
  if (splits === 1) return run(x, rows, len, 1, len, scale, outShape);
  const partial = run(x, rows, len, splits, chunk, 1, [rows * splits]);
  const out = run(partial, rows, splits, 1, splits, scale, outShape);
  partial.dispose();
  return out;
}

/**
 * Sums a gradient of a broadcast result back to an operand's shape (PyTorch's sum_to_size). Returns `g`
 * itself when the shapes already agree.
 */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const rank = g.shape.length;
  const padded = [...new Array<number>(rank - shape.length).fill(1), ...shape];
  const keptDims: number[] = [];
  const reducedDims: number[] = [];
  for (let d = 0; d < rank; d++) {
    if (padded[d] === g.shape[d]) keptDims.push(d);
    else if (padded[d] === 1) reducedDims.push(d);
    else throw new Error(`sum_to_size: [${g.shape.join(', ')}] cannot be reduced to [${shape.join(', ')}]`);
  }
  const kept = keptDims.reduce((n, d) => n * g.shape[d]!, 1);
  const reduced = g.numel / kept;
  const trailing = reducedDims.every((d, i) => d === rank - reducedDims.length + i);
  const ordered = trailing ? g : permuteCopy(g, [...keptDims, ...reducedDims]);
  const sums = sumRows(ordered, kept, reduced, 1, shape);
  if (ordered !== g) ordered.dispose();
  return sums;
}
