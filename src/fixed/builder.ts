/**
 * Builds an IntegerModel from float scales, the way conversion sees a QAT model: quantization parameters
 * per tensor (PyTorch's names: scale, zero_point, dtype), integer weights with their scales, float biases.
 * It applies the numeric conventions in one place: bias to int32 at s_x·s_w as PyTorch does, both
 * requantization modes' constants, quint8 moved to the int8 storage domain, fused ReLU/ReLU6 as clamps.
 */
import { QRANGE, type QDType } from '../quant/types';
import {
  INTEGER_MODEL_FORMAT,
  INTEGER_MODEL_VERSION,
  type IntValueInfo,
  type IntegerModel,
  type IntegerOp,
} from './model';
import { makeRequantParams, makeRescaleParams, quantizeBias, quantizeMultiplier, roundHalfEven, type RequantMode, type RequantParams } from './requant';
import { poolOutputSize } from './ops';
import { validateIntegerModel } from './specs';
import { storageQParams, type Pair } from './types';

export interface QParams {
  scale: number;
  zero_point: number;
  dtype: QDType;
}

export type FusedActivation = 'relu' | 'relu6' | null;

type IntPairLike = number | readonly [number, number];

function pair(v: IntPairLike | undefined, fallback: number): Pair {
  if (v === undefined) return [fallback, fallback];
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

function list(v: number | readonly number[] | undefined, fallback: number): number[] {
  if (v === undefined) return [fallback];
  return typeof v === 'number' ? [v] : [...v];
}

export interface WeightOptions {
  /** Integer weights (PyTorch values), [O, C/groups, KH, KW] for conv, [O, K] for linear. */
  weight: ArrayLike<number>;
  weight_dtype?: 'qint8' | 'qint16';
  /** One per output channel, or one. */
  weight_scale: number | readonly number[];
  weight_zero_point?: number | readonly number[];
  /** Float bias (quantized here to int32 at s_x·s_w, as PyTorch does). */
  bias?: ArrayLike<number> | null;
  /** The output's qparams, or 'int32' for a high-precision output (no requantization). */
  output: QParams | 'int32';
  activation?: FusedActivation;
  /** A value added into the output before the activation (conv/linear + add fusion). */
  residual?: string;
}

export interface Conv2dOptions extends WeightOptions {
  weight_shape: readonly [number, number, number, number];
  stride?: IntPairLike;
  padding?: IntPairLike;
  dilation?: IntPairLike;
  groups?: number;
}

export interface LinearOptions extends WeightOptions {
  weight_shape: readonly [number, number];
}

export interface Pool2dOptions {
  kernel_size: IntPairLike;
  stride?: IntPairLike | null;
  padding?: IntPairLike;
  ceil_mode?: boolean;
}

/**
 * Integer weights from float ones with fake quantize's formula, per output channel (axis 0):
 * q = clamp(round_half_even(w · f32(1/s_c)) + z_c, qmin, qmax) — the same integers the QAT model used.
 */
export function quantizeWeights(
  weight: ArrayLike<number>,
  outChannels: number,
  scale: readonly number[],
  zeroPoint: readonly number[],
  dtype: 'qint8' | 'qint16' = 'qint8',
): Int8Array | Int16Array {
  const [qmin, qmax] = QRANGE[dtype];
  const out = dtype === 'qint8' ? new Int8Array(weight.length) : new Int16Array(weight.length);
  const per = weight.length / outChannels;
  if (!Number.isInteger(per)) throw new Error(`quantizeWeights: ${weight.length} weights do not split into ${outChannels} channels`);
  const f = Math.fround;
  for (let i = 0; i < weight.length; i++) {
    const c = Math.floor(i / per);
    const s = scale.length === 1 ? scale[0] : scale[c];
    const z = zeroPoint.length === 1 ? zeroPoint[0] : zeroPoint[c];
    const q = roundHalfEven(f(f(weight[i]) * f(1 / f(s)))) + z;
    out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
  }
  return out;
}

export class IntegerModelBuilder {
  private readonly values: IntValueInfo[] = [];
  private readonly ops: IntegerOp[] = [];
  private readonly inputs: string[] = [];
  private readonly outputs: string[] = [];

  constructor(readonly mode: RequantMode = 'multiplier') {}

  private info(name: string): IntValueInfo {
    const v = this.values.find((x) => x.name === name);
    if (!v) throw new Error(`IntegerModelBuilder: no value "${name}"`);
    return v;
  }

  /** A declared value (a copy: shape, dtype, qparams). */
  valueInfo(name: string): IntValueInfo {
    const v = this.info(name);
    return { ...v, shape: [...v.shape], ...(v.scale ? { scale: [...v.scale] } : {}) };
  }

  /** The op added so far that writes `value`, if any. */
  opWriting(value: string): IntegerOp | undefined {
    return this.ops.find((op) => op.output === value);
  }

  private declare(v: IntValueInfo): string {
    if (this.values.some((x) => x.name === v.name)) throw new Error(`IntegerModelBuilder: value "${v.name}" already exists`);
    this.values.push(v);
    return v.name;
  }

  private quantized(name: string, shape: number[], q: QParams): IntValueInfo {
    const s = storageQParams(q.dtype, q.zero_point);
    if (s.dtype === 'int32') throw new Error(`${name}: activations are int8/int16, not ${q.dtype}`);
    if (!(q.scale > 0)) throw new Error(`${name}: scale must be > 0, got ${q.scale}`);
    return { name, shape, dtype: s.dtype, scale: [q.scale], zeroPoint: s.zeroPoint, qdtype: q.dtype };
  }

  private scaleOf(name: string): number {
    const v = this.info(name);
    if (!v.scale || v.scale.length !== 1) throw new Error(`IntegerModelBuilder: "${name}" needs one scale here (it has ${v.scale?.length ?? 0})`);
    return v.scale[0];
  }

  /** Clamp range in the storage domain for an output with a fused activation. */
  private clampFor(q: QParams, activation: FusedActivation | undefined): Pair {
    const s = storageQParams(q.dtype, q.zero_point);
    let lo = s.qmin;
    let hi = s.qmax;
    if (activation === 'relu' || activation === 'relu6') lo = s.zeroPoint;
    if (activation === 'relu6') {
      const six = s.zeroPoint + roundHalfEven(Math.fround(6 * Math.fround(1 / Math.fround(q.scale))));
      hi = Math.min(hi, six);
    }
    return [lo, hi];
  }

  input(name: string, shape: readonly number[]): string {
    this.inputs.push(name);
    return this.declare({ name, shape: [...shape], dtype: 'float32' });
  }

  quantize(name: string, input: string, q: QParams): string {
    const x = this.info(input);
    this.declare(this.quantized(name, [...x.shape], q));
    this.ops.push({ kind: 'quantize', name, inputs: [input], output: name });
    return name;
  }

  dequantize(name: string, input: string): string {
    const x = this.info(input);
    this.declare({ name, shape: [...x.shape], dtype: 'float32' });
    this.ops.push({ kind: 'dequantize', name, inputs: [input], output: name });
    return name;
  }

  private weighted(name: string, input: string, o: WeightOptions, outChannels: number, outShape: number[]) {
    const sx = this.scaleOf(input);
    const weightScale = list(o.weight_scale, 1);
    const weightZeroPoint = list(o.weight_zero_point, 0);
    for (const l of [weightScale, weightZeroPoint]) {
      if (l.length !== 1 && l.length !== outChannels) throw new Error(`${name}: ${l.length} weight qparams for ${outChannels} output channels`);
    }
    const weightDtype = o.weight_dtype === 'qint16' ? 'int16' : 'int8';
    const [wmin, wmax] = QRANGE[o.weight_dtype ?? 'qint8'];
    for (let i = 0; i < o.weight.length; i++) {
      if (!Number.isInteger(o.weight[i]) || o.weight[i] < wmin || o.weight[i] > wmax) {
        throw new Error(`${name}: weight[${i}] = ${o.weight[i]} is not a ${o.weight_dtype ?? 'qint8'} integer`);
      }
    }
    const weight = weightDtype === 'int8' ? Int8Array.from(o.weight) : Int16Array.from(o.weight);
    const bias = o.bias ? quantizeBias(Array.from(o.bias), sx, weightScale) : null;
    if (bias && bias.length !== outChannels) throw new Error(`${name}: ${bias.length} bias values for ${outChannels} output channels`);
    let requant: RequantParams | null = null;
    let clamp: Pair;
    if (o.output === 'int32') {
      if (o.activation || o.residual) throw new Error(`${name}: an int32 output cannot fuse an activation or an add`);
      const scales = Array.from({ length: outChannels }, (_, c) => sx * (weightScale.length === 1 ? weightScale[0] : weightScale[c]));
      this.declare({ name, shape: outShape, dtype: 'int32', scale: scales, zeroPoint: 0, qdtype: 'qint32' });
      clamp = [QRANGE.qint32[0], QRANGE.qint32[1]];
    } else {
      this.declare(this.quantized(name, outShape, o.output));
      requant = makeRequantParams(sx, weightScale, o.output.scale);
      clamp = this.clampFor(o.output, o.activation);
    }
    // The residual joins the accumulator: rescaled to s_x·s_w[c] per output channel (requantized once after).
    const residualRequant =
      o.residual && o.output !== 'int32'
        ? makeRescaleParams(Array.from({ length: weightScale.length }, (_, c) => this.scaleOf(o.residual!) / (sx * weightScale[c])))
        : undefined;
    return {
      name,
      inputs: o.residual ? [input, o.residual] : [input],
      output: name,
      weight,
      weightDtype,
      weightScale,
      weightZeroPoint,
      bias,
      requant,
      clamp,
      ...(residualRequant ? { residualRequant } : {}),
    } as const;
  }

  conv2d(name: string, input: string, o: Conv2dOptions): string {
    const x = this.info(input);
    if (x.shape.length !== 3) throw new Error(`${name}: input "${input}" [${x.shape.join(', ')}] is not [C, H, W]`);
    const [oc, , kh, kw] = o.weight_shape;
    const stride = pair(o.stride, 1);
    const padding = pair(o.padding, 0);
    const dilation = pair(o.dilation, 1);
    const ho = Math.floor((x.shape[1] + 2 * padding[0] - dilation[0] * (kh - 1) - 1) / stride[0]) + 1;
    const wo = Math.floor((x.shape[2] + 2 * padding[1] - dilation[1] * (kw - 1) - 1) / stride[1]) + 1;
    const base = this.weighted(name, input, o, oc, [oc, ho, wo]);
    this.ops.push({ kind: 'conv2d', ...base, weightShape: [...o.weight_shape], stride, padding, dilation, groups: o.groups ?? 1 });
    return name;
  }

  linear(name: string, input: string, o: LinearOptions): string {
    const base = this.weighted(name, input, o, o.weight_shape[0], [o.weight_shape[0]]);
    this.ops.push({ kind: 'linear', ...base, weightShape: [o.weight_shape[0], o.weight_shape[1]] });
    return name;
  }

  /**
   * a + b rescaled to the output and rounded once. Multiplier mode keeps k more bits in each scaled term
   * (as many as keep |term| < 2^29, at most 20) and drops them after the sum.
   */
  add(name: string, a: string, b: string, output: QParams, activation: FusedActivation = null): string {
    const x = this.info(a);
    const y = this.info(b);
    this.declare(this.quantized(name, [...x.shape], output));
    const ma = this.scaleOf(a) / output.scale;
    const mb = this.scaleOf(b) / output.scale;
    const span = (v: IntValueInfo) => (v.dtype === 'int16' ? 65535 : 255);
    const largest = Math.max(span(x) * ma, span(y) * mb);
    let k = Math.max(0, Math.min(20, Math.floor(Math.log2(2 ** 29 / largest))));
    const withShift = (m: number): RequantParams => {
      const q = quantizeMultiplier(m * 2 ** k);
      return { scale: [Math.fround(m)], multiplier: [q.multiplier], shift: [q.shift] };
    };
    while (k > 0 && [ma, mb].some((m) => quantizeMultiplier(m).multiplier !== 0 && quantizeMultiplier(m).shift + k > 30)) k--;
    this.ops.push({
      kind: 'add',
      name,
      inputs: [a, b],
      output: name,
      requantA: withShift(ma),
      requantB: withShift(mb),
      precisionShift: k,
      clamp: this.clampFor(output, activation),
    });
    return name;
  }

  max_pool2d(name: string, input: string, o: Pool2dOptions & { dilation?: IntPairLike }): string {
    const x = this.info(input);
    const kernel = pair(o.kernel_size, 1);
    const stride = o.stride ? pair(o.stride, 1) : kernel;
    const padding = pair(o.padding, 0);
    const dilation = pair(o.dilation, 1);
    const ceilMode = o.ceil_mode ?? false;
    const shape = [x.shape[0], poolOutputSize(x.shape[1], kernel[0], stride[0], padding[0], dilation[0], ceilMode), poolOutputSize(x.shape[2], kernel[1], stride[1], padding[1], dilation[1], ceilMode)];
    this.declare({ ...x, name, shape });
    this.ops.push({ kind: 'max_pool2d', name, inputs: [input], output: name, kernel, stride, padding, dilation, ceilMode });
    return name;
  }

  /** Average pooling; the output keeps the input's qparams unless given. */
  avg_pool2d(name: string, input: string, o: Pool2dOptions & { count_include_pad?: boolean; divisor_override?: number | null; output?: QParams }): string {
    const x = this.info(input);
    const kernel = pair(o.kernel_size, 1);
    const stride = o.stride ? pair(o.stride, 1) : kernel;
    const padding = pair(o.padding, 0);
    const ceilMode = o.ceil_mode ?? false;
    const out: QParams = o.output ?? { scale: this.scaleOf(input), zero_point: (x.zeroPoint ?? 0) - (x.qdtype === 'quint8' ? -128 : 0), dtype: x.qdtype ?? 'qint8' };
    const shape = [x.shape[0], poolOutputSize(x.shape[1], kernel[0], stride[0], padding[0], 1, ceilMode), poolOutputSize(x.shape[2], kernel[1], stride[1], padding[1], 1, ceilMode)];
    this.declare(this.quantized(name, shape, out));
    const divisorOverride = o.divisor_override ?? null;
    const top = divisorOverride ?? kernel[0] * kernel[1];
    const sx = this.scaleOf(input);
    const requant = makeRescaleParams(Array.from({ length: top + 1 }, (_, d) => (d === 0 ? 0 : sx / (out.scale * d))));
    this.ops.push({
      kind: 'avg_pool2d',
      name,
      inputs: [input],
      output: name,
      kernel,
      stride,
      padding,
      ceilMode,
      countIncludePad: o.count_include_pad ?? true,
      divisorOverride,
      requant,
      clamp: this.clampFor(out, null),
    });
    return name;
  }

  /** Channel concatenation of values that share dtype, scale and zero point (requantize the others first). */
  concat(name: string, inputs: readonly string[]): string {
    const first = this.info(inputs[0]);
    const channels = inputs.reduce((a, n) => a + this.info(n).shape[0], 0);
    this.declare({ ...first, name, shape: [channels, ...first.shape.slice(1)], ...(first.scale ? { scale: [...first.scale] } : {}) });
    this.ops.push({ kind: 'concat', name, inputs: [...inputs], output: name });
    return name;
  }

  flatten(name: string, input: string): string {
    const x = this.info(input);
    this.declare({ ...x, name, shape: [x.shape.reduce((a, b) => a * b, 1)] });
    this.ops.push({ kind: 'flatten', name, inputs: [input], output: name });
    return name;
  }

  /**
   * Requantize to new qparams (an int32 output's per-channel scales, or a dtype change). `multiplier`
   * overrides M = s_x/s_y (a multiplication by a constant c is M = s_x·c/s_y).
   */
  requantize(name: string, input: string, output: QParams, activation: FusedActivation = null, multiplier?: number): string {
    const x = this.info(input);
    if (!x.scale) throw new Error(`${name}: input "${input}" is not quantized`);
    if (multiplier !== undefined && x.scale.length !== 1) throw new Error(`${name}: a given multiplier needs a per-tensor input`);
    this.declare(this.quantized(name, [...x.shape], output));
    this.ops.push({
      kind: 'requantize',
      name,
      inputs: [input],
      output: name,
      requant: makeRescaleParams(multiplier !== undefined ? [multiplier] : x.scale.map((s) => s / output.scale)),
      clamp: this.clampFor(output, activation),
    });
    return name;
  }

  output(...names: string[]): void {
    for (const n of names) {
      this.info(n);
      this.outputs.push(n);
    }
  }

  build(): IntegerModel {
    const model: IntegerModel = {
      format: INTEGER_MODEL_FORMAT,
      version: INTEGER_MODEL_VERSION,
      mode: this.mode,
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      values: this.values.map((v) => ({ ...v, shape: [...v.shape] })),
      ops: [...this.ops],
    };
    validateIntegerModel(model);
    return model;
  }
}
