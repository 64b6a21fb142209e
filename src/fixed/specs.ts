/**
 * From an IntegerModel's ops to kernel-level specs (ops.ts). Both executors go through these functions,
 * so the CPU reference and the GPU run the same arithmetic by construction; `validateIntegerModel`
 * checks a model's shapes, dtypes and op order with them, naming the op at fault.
 */
import { conv2dIntOutputShape } from './cpu/conv2d_int';
import { avgPool2dOutputShape, maxAvgPoolDivisor, maxPool2dOutputShape } from './cpu/int_pool';
import type { IntValueInfo, IntegerModel, IntegerOp } from './model';
import { INTEGER_MODEL_FORMAT, valueMap } from './model';
import type {
  ActDType,
  AddOpSpec,
  ConcatOpSpec,
  AvgPool2dOpSpec,
  Conv2dOpSpec,
  DequantizeOpSpec,
  MaxPool2dOpSpec,
  QuantizeOpSpec,
  RequantizeOpSpec,
  ResidualSpec,
} from './ops';
import type { RequantMode } from './requant';
import { INT_RANGE, type IntDType } from './types';

export type Shape4 = readonly [number, number, number, number];

/** A per-sample value shape as NCHW with batch n ([C] is [n, C, 1, 1]). */
export function nchw(shape: readonly number[], n: number): [number, number, number, number] {
  if (shape.length === 3) return [n, shape[0], shape[1], shape[2]];
  if (shape.length === 1) return [n, shape[0], 1, 1];
  throw new Error(`integer model: value shape [${shape.join(', ')}] is neither [C, H, W] nor [C]`);
}

function fail(op: IntegerOp, message: string): never {
  throw new Error(`${op.kind} "${op.name}": ${message}`);
}

export class SpecContext {
  readonly values: Map<string, IntValueInfo>;
  readonly mode: RequantMode;

  constructor(
    readonly model: IntegerModel,
    readonly batch: number,
  ) {
    this.values = valueMap(model);
    this.mode = model.mode;
  }

  value(op: IntegerOp, name: string): IntValueInfo {
    const v = this.values.get(name);
    if (!v) fail(op, `value "${name}" is not declared`);
    return v;
  }

  input(op: IntegerOp, k: number): IntValueInfo {
    const name = op.inputs[k];
    if (name === undefined) fail(op, `needs input ${k}`);
    return this.value(op, name);
  }

  output(op: IntegerOp): IntValueInfo {
    return this.value(op, op.output);
  }

  intDtype(op: IntegerOp, v: IntValueInfo): IntDType {
    if (v.dtype === 'float32') fail(op, `value "${v.name}" is float32 where an integer tensor is needed`);
    return v.dtype;
  }

  actDtype(op: IntegerOp, v: IntValueInfo): ActDType {
    const d = this.intDtype(op, v);
    if (d === 'int32') fail(op, `value "${v.name}" is int32; requantize it to int8/int16 first`);
    return d;
  }

  zeroPoint(v: IntValueInfo): number {
    return v.zeroPoint ?? 0;
  }

  residual(op: IntegerOp & { residualRequant?: ResidualSpec['requant'] }): ResidualSpec | undefined {
    if (op.inputs.length < 2) {
      if (op.residualRequant) fail(op, 'has residualRequant but no second input');
      return undefined;
    }
    if (!op.residualRequant) fail(op, 'has a second input but no residualRequant');
    const channels = 'weightShape' in op ? (op as { weightShape: readonly number[] }).weightShape[0] : 1;
    if (op.residualRequant.scale.length !== 1 && op.residualRequant.scale.length !== channels) {
      fail(op, `residualRequant has ${op.residualRequant.scale.length} channel multipliers for ${channels} output channels`);
    }
    const r = this.input(op, 1);
    return { dtype: this.actDtype(op, r), zeroPoint: this.zeroPoint(r), requant: op.residualRequant };
  }
}

export function conv2dSpec(ctx: SpecContext, op: Extract<IntegerOp, { kind: 'conv2d' | 'linear' }>): Conv2dOpSpec {
  const x = ctx.input(op, 0);
  const y = ctx.output(op);
  const outDtype = ctx.intDtype(op, y);
  if ((op.requant === null) !== (outDtype === 'int32')) {
    fail(op, `output "${y.name}" is ${outDtype}: ${outDtype === 'int32' ? 'an int32 output has no requant' : 'requant is missing'}`);
  }
  let wShape: [number, number, number, number];
  let xShape: [number, number, number, number];
  if (op.kind === 'linear') {
    const k = x.shape.reduce((a, b) => a * b, 1);
    if (x.shape.length !== 1 || op.weightShape[1] !== k) {
      fail(op, `input "${x.name}" [${x.shape.join(', ')}] does not fit weight [${op.weightShape.join(', ')}] (flatten it first)`);
    }
    wShape = [op.weightShape[0], op.weightShape[1], 1, 1];
    xShape = [ctx.batch, k, 1, 1];
  } else {
    if (x.shape.length !== 3) fail(op, `input "${x.name}" [${x.shape.join(', ')}] is not [C, H, W]`);
    wShape = op.weightShape;
    xShape = nchw(x.shape, ctx.batch);
  }
  const linear = op.kind === 'linear';
  return {
    mode: ctx.mode,
    xShape,
    xZeroPoint: ctx.zeroPoint(x),
    xDtype: ctx.actDtype(op, x),
    weight: op.weight,
    wShape,
    wDtype: op.weightDtype,
    wZeroPoint: op.weightZeroPoint,
    bias: op.bias,
    geometry: linear
      ? { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 }
      : { stride: op.stride, padding: op.padding, dilation: op.dilation, groups: op.groups },
    requant: op.requant,
    outDtype,
    yZeroPoint: ctx.zeroPoint(y),
    clamp: op.clamp,
    residual: ctx.residual(op),
  };
}

export function addSpec(ctx: SpecContext, op: Extract<IntegerOp, { kind: 'add' }>): AddOpSpec {
  const a = ctx.input(op, 0);
  const b = ctx.input(op, 1);
  const y = ctx.output(op);
  if (a.shape.join() !== b.shape.join()) fail(op, `inputs [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ (no broadcasting)`);
  return {
    mode: ctx.mode,
    precisionShift: op.precisionShift ?? 0,
    shape: nchw(a.shape, ctx.batch),
    a: { dtype: ctx.actDtype(op, a), zeroPoint: ctx.zeroPoint(a), requant: op.requantA },
    b: { dtype: ctx.actDtype(op, b), zeroPoint: ctx.zeroPoint(b), requant: op.requantB },
    outDtype: ctx.actDtype(op, y),
    yZeroPoint: ctx.zeroPoint(y),
    clamp: op.clamp,
  };
}

export function maxPoolSpec(ctx: SpecContext, op: Extract<IntegerOp, { kind: 'max_pool2d' }>): MaxPool2dOpSpec {
  const x = ctx.input(op, 0);
  const y = ctx.output(op);
  if (x.dtype !== y.dtype || ctx.zeroPoint(x) !== ctx.zeroPoint(y) || (x.scale ?? []).join() !== (y.scale ?? []).join()) {
    fail(op, `max pooling keeps dtype, scale and zero point: "${x.name}" and "${y.name}" differ`);
  }
  if (x.shape.length !== 3) fail(op, `input "${x.name}" [${x.shape.join(', ')}] is not [C, H, W]`);
  return {
    xShape: nchw(x.shape, ctx.batch),
    dtype: ctx.actDtype(op, x),
    kernel: op.kernel,
    stride: op.stride,
    padding: op.padding,
    dilation: op.dilation,
    ceilMode: op.ceilMode,
  };
}

export function avgPoolSpec(ctx: SpecContext, op: Extract<IntegerOp, { kind: 'avg_pool2d' }>): AvgPool2dOpSpec {
  const x = ctx.input(op, 0);
  const y = ctx.output(op);
  if (x.shape.length !== 3) fail(op, `input "${x.name}" [${x.shape.join(', ')}] is not [C, H, W]`);
  if (op.requant.scale.length <= maxAvgPoolDivisor(op)) {
    fail(op, `requant table has ${op.requant.scale.length} entries; divisors go up to ${maxAvgPoolDivisor(op)}`);
  }
  return {
    mode: ctx.mode,
    xShape: nchw(x.shape, ctx.batch),
    xDtype: ctx.actDtype(op, x),
    xZeroPoint: ctx.zeroPoint(x),
    kernel: op.kernel,
    stride: op.stride,
    padding: op.padding,
    ceilMode: op.ceilMode,
    countIncludePad: op.countIncludePad,
    divisorOverride: op.divisorOverride,
    requant: op.requant,
    outDtype: ctx.actDtype(op, y),
    yZeroPoint: ctx.zeroPoint(y),
    clamp: op.clamp,
  };
}

export function requantizeSpec(ctx: SpecContext, op: Extract<IntegerOp, { kind: 'requantize' }>): RequantizeOpSpec {
  const x = ctx.input(op, 0);
  const y = ctx.output(op);
  if (x.shape.join() !== y.shape.join()) fail(op, `input [${x.shape.join(', ')}] and output [${y.shape.join(', ')}] differ`);
  const channels = x.shape[0];
  if (op.requant.scale.length !== 1 && op.requant.scale.length !== channels) {
    fail(op, `${op.requant.scale.length} channel multipliers for ${channels} channels`);
  }
  return {
    mode: ctx.mode,
    shape: nchw(x.shape, ctx.batch),
    xDtype: ctx.intDtype(op, x),
    xZeroPoint: ctx.zeroPoint(x),
    requant: op.requant,
    outDtype: ctx.actDtype(op, y),
    yZeroPoint: ctx.zeroPoint(y),
    clamp: op.clamp,
  };
}

export function concatSpec(ctx: SpecContext, op: Extract<IntegerOp, { kind: 'concat' }>): ConcatOpSpec {
  const y = ctx.output(op);
  if (op.inputs.length < 2) fail(op, `needs at least two inputs, has ${op.inputs.length}`);
  const dtype = ctx.actDtype(op, y);
  const shapes = op.inputs.map((_, k) => {
    const x = ctx.input(op, k);
    if (x.dtype !== y.dtype || ctx.zeroPoint(x) !== ctx.zeroPoint(y) || (x.scale ?? []).join() !== (y.scale ?? []).join()) {
      fail(op, `input "${x.name}" has other qparams than the output "${y.name}" (requantize it first)`);
    }
    if (x.shape.length !== y.shape.length || x.shape.slice(1).join() !== y.shape.slice(1).join()) {
      fail(op, `input "${x.name}" [${x.shape.join(', ')}] does not concatenate with [${y.shape.join(', ')}] along channels`);
    }
    return nchw(x.shape, ctx.batch);
  });
  return { shapes, dtype, zeroPoint: ctx.zeroPoint(y) };
}

export function quantizeSpec(ctx: SpecContext, op: Extract<IntegerOp, { kind: 'quantize' }>): QuantizeOpSpec {
  const x = ctx.input(op, 0);
  const y = ctx.output(op);
  if (x.dtype !== 'float32') fail(op, `input "${x.name}" is ${x.dtype}, not float32`);
  if (!y.scale || y.scale.length !== 1) fail(op, `output "${y.name}" needs one scale`);
  const outDtype = ctx.actDtype(op, y);
  return { shape: nchw(x.shape, ctx.batch), scale: y.scale[0], zeroPoint: ctx.zeroPoint(y), outDtype, clamp: INT_RANGE[outDtype] };
}

export function dequantizeSpec(ctx: SpecContext, op: Extract<IntegerOp, { kind: 'dequantize' }>): DequantizeOpSpec {
  const x = ctx.input(op, 0);
  const y = ctx.output(op);
  if (y.dtype !== 'float32') fail(op, `output "${y.name}" is ${y.dtype}, not float32`);
  if (!x.scale || (x.scale.length !== 1 && x.scale.length !== x.shape[0])) fail(op, `input "${x.name}" needs one scale or one per channel`);
  return { shape: nchw(x.shape, ctx.batch), xDtype: ctx.intDtype(op, x), zeroPoint: ctx.zeroPoint(x), scale: x.scale };
}

/** The per-sample output shape an op computes (to check against the declared value). */
export function inferOutputShape(ctx: SpecContext, op: IntegerOp): number[] {
  switch (op.kind) {
    case 'quantize':
    case 'dequantize':
    case 'requantize':
      return [...ctx.input(op, 0).shape];
    case 'add':
      addSpec(ctx, op);
      return [...ctx.input(op, 0).shape];
    case 'flatten': {
      const x = ctx.input(op, 0);
      return [x.shape.reduce((a, b) => a * b, 1)];
    }
    case 'concat': {
      const s = concatSpec(ctx, op);
      const x = ctx.input(op, 0);
      return [s.shapes.reduce((a, sh) => a + sh[1], 0), ...x.shape.slice(1)];
    }
    case 'conv2d': {
      const s = conv2dSpec(ctx, op);
      const [, o, h, w] = conv2dIntOutputShape({ ...s, x: [] });
      return [o, h, w];
    }
    case 'linear':
      conv2dSpec(ctx, op);
      return [op.weightShape[0]];
    case 'max_pool2d': {
      const [, c, h, w] = maxPool2dOutputShape(maxPoolSpec(ctx, op));
      return [c, h, w];
    }
    case 'avg_pool2d': {
      const [, c, h, w] = avgPool2dOutputShape(avgPoolSpec(ctx, op));
      return [c, h, w];
    }
  }
}

/**
 * Checks a model before it runs: its format, that every op reads values already computed, that each
 * op's specs build and its output shape matches the declared one, and that outputs exist.
 */
export function validateIntegerModel(model: IntegerModel): void {
  if (model.format !== INTEGER_MODEL_FORMAT) throw new Error(`integer model: format "${model.format}" is not ${INTEGER_MODEL_FORMAT}`);
  const ctx = new SpecContext(model, 1);
  const ready = new Set(model.inputs);
  for (const name of model.inputs) {
    const v = ctx.values.get(name);
    if (!v) throw new Error(`integer model: input "${name}" is not declared`);
    if (v.dtype !== 'float32') throw new Error(`integer model: input "${name}" must be float32 (quantize it with a quantize op)`);
  }
  const written = new Set<string>();
  for (const op of model.ops) {
    for (const name of op.inputs) {
      if (!ready.has(name)) fail(op, `reads "${name}" before any op computes it`);
    }
    if (ready.has(op.output) || written.has(op.output)) fail(op, `writes "${op.output}", which already has a value`);
    const y = ctx.output(op);
    const shape = inferOutputShape(ctx, op);
    if (shape.join() !== y.shape.join()) fail(op, `computes [${shape.join(', ')}] but "${y.name}" is declared [${y.shape.join(', ')}]`);
    if (op.kind === 'flatten' && y.dtype !== ctx.input(op, 0).dtype) fail(op, 'flatten cannot change the dtype');
    ready.add(op.output);
    written.add(op.output);
  }
  for (const name of model.outputs) if (!ready.has(name)) throw new Error(`integer model: output "${name}" is never computed`);
}
