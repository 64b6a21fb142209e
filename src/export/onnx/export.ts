/**
 * IntegerModel → ONNX (opset 21, IR version 10), written with our own protobuf writer.
 *
 * Two styles:
 * - 'qoperator' (default): ONNX's quantized operators where one expresses our op — QuantizeLinear /
 *   DequantizeLinear at the boundary, QLinearConv for conv and linear (a 1×1 conv), MaxPool on int8/uint8,
 *   com.microsoft QLinearAdd and QLinearAveragePool; a fused ReLU/ReLU6 is a Clip on the quantized
 *   tensor. These requantize in float as our 'float' mode does, but compute the multiplier as
 *   (s_x·s_w)/s_y rather than qnnpack's (s_w·s_x)·(1/s_y), and QuantizeLinear divides by the scale where
 *   we multiply by its inverse, and QLinearAdd rounds once where we round each input: results agree
 *   within one LSB, rarely differing at all.
 * - 'integer': integer ops (ConvInteger, MatMulInteger, int32 Add) and the requantization spelled out
 *   in float32 ops (Cast, Mul by M, Round half to even, Add zero point, Clip, Cast) — exactly our 'float'
 *   requantization mode, so ONNX Runtime reproduces our integers bit for bit.
 *
 * Whatever the style, ops that no quantized ONNX operator expresses use the 'integer' form: a conv with a
 * fused add (the residual joins the int32 accumulator, then one requantization), an int32 high-precision output,
 * requantize (a dtype change, a standalone ReLU), average pooling; int16 tensors, which ONNX Runtime has no
 * integer kernels for, run as integer-valued float32 tensors (exact while partial sums stay below 2^24).
 * quint8 values are uint8 in ONNX with their true zero point; qint8 int8; qint16 int16; qint32 int32.
 * The model's multiplier/shift constants are not exported: ONNX Runtime matches our 'float' mode.
 */
import type { AddOp, AvgPool2dOp, Conv2dOp, IntValueInfo, IntegerModel, IntegerOp, LinearOp, MaxPool2dOp, RequantizeOp } from '../../fixed/model';
import { validateIntegerModel } from '../../fixed/specs';
import type { RequantParams } from '../../fixed/requant';
import type { Pair } from '../../fixed/types';
import { modelProto, ONNX_DTYPE, type OnnxDType, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './onnx_proto';

export type OnnxStyle = 'qoperator' | 'integer';

export interface OnnxExportOptions {
  style?: OnnxStyle;
  /** Name of the batch dimension (symbolic). */
  batch?: string;
  /** Free-form key/values stored as metadata_props. */
  metadata?: Record<string, string>;
  producerVersion?: string;
  /** More values of the model to expose as graph outputs (per-layer comparisons), by IntegerModel name. */
  extraOutputs?: readonly string[];
}

export const ONNX_OPSET = 21;
export const ONNX_IR_VERSION = 10;

/** How a value looks in ONNX. */
interface OnnxValue {
  dtype: OnnxDType;
  /** True zero point (ONNX domain). */
  zeroPoint: number;
  /** Added to storage-domain integers to get ONNX values (+128 for quint8). */
  offset: number;
  scale: number[];
  /** Per-sample shape. */
  shape: number[];
}

function onnxValue(v: IntValueInfo): OnnxValue {
  if (v.dtype === 'float32') return { dtype: 'float', zeroPoint: 0, offset: 0, scale: [], shape: v.shape };
  const quint8 = v.qdtype === 'quint8';
  const dtype: OnnxDType = v.dtype === 'int8' ? (quint8 ? 'uint8' : 'int8') : v.dtype;
  const offset = quint8 ? 128 : 0;
  return { dtype, zeroPoint: (v.zeroPoint ?? 0) + offset, offset, scale: v.scale ?? [], shape: v.shape };
}

const is8bit = (d: OnnxDType) => d === 'int8' || d === 'uint8';

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly domains = new Set<string>();
  private readonly names = new Set<string>();

  unique(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  init(base: string, dtype: OnnxDType, dims: readonly number[], data: ArrayLike<number>): string {
    const name = this.unique(base);
    this.initializers.push({ name, dtype, dims, data });
    return name;
  }

  scalar(base: string, dtype: OnnxDType, value: number): string {
    return this.init(base, dtype, [], [value]);
  }

  node(op: string, name: string, inputs: string[], outputs: string[], attributes?: OnnxNode['attributes'], domain?: string): string {
    if (domain) this.domains.add(domain);
    this.nodes.push({ op, name: this.unique(name), inputs, outputs, ...(attributes ? { attributes } : {}), ...(domain ? { domain } : {}) });
    return outputs[0];
  }

  /** A one-output node whose output name is made from `name`. */
  op(op: string, name: string, inputs: string[], attributes?: OnnxNode['attributes'], domain?: string): string {
    const out = this.unique(name);
    return this.node(op, name, inputs, [out], attributes, domain);
  }
}

/** Broadcast shape of a per-channel constant against [N, C, H, W] or [N, C]. */
function channelDims(channels: number, rank: number): number[] {
  return rank === 4 ? [1, channels, 1, 1] : [1, channels];
}

export function exportOnnx(model: IntegerModel, options: OnnxExportOptions = {}): Uint8Array<ArrayBuffer> {
  validateIntegerModel(model);
  const style = options.style ?? 'qoperator';
  const batch = options.batch ?? 'N';
  const g = new GraphBuilder();
  const info = new Map(model.values.map((v) => [v.name, v]));
  const ov = (name: string) => onnxValue(info.get(name)!);
  const rank = (name: string) => info.get(name)!.shape.length + 1;
  for (const v of model.values) g.unique(v.name);

  /** (x − z_x) as float32 [N, ...]: exact for any 8/16/32-bit integer below 2^24. */
  const centered = (name: string, at: string): string => {
    const v = ov(name);
    const f = g.op('Cast', `${at}/cast_${name}`, [name], { to: ONNX_DTYPE.float });
    if (v.zeroPoint === 0) return f;
    return g.op('Sub', `${at}/center_${name}`, [f, g.scalar(`${at}/zp_${name}`, 'float', v.zeroPoint)]);
  };

  /** round_half_even(f32(acc) · M) per channel (acc a float32 tensor). */
  const scaled = (acc: string, requant: RequantParams, channels: number, r: number, at: string): string => {
    const m = requant.scale.length === 1 ? g.scalar(`${at}/M`, 'float', requant.scale[0]) : g.init(`${at}/M`, 'float', channelDims(channels, r), requant.scale);
    return g.op('Round', `${at}/round`, [g.op('Mul', `${at}/mul`, [acc, m])]);
  };

  /** zero point + terms, clamped, cast to the output's dtype, written to `output`. */
  const finish = (terms: string[], output: string, clamp: Pair, at: string): void => {
    const y = ov(output);
    let sum = terms[0];
    for (let i = 1; i < terms.length; i++) sum = g.op('Add', `${at}/sum`, [sum, terms[i]]);
    if (y.zeroPoint !== 0) sum = g.op('Add', `${at}/add_zp`, [sum, g.scalar(`${at}/y_zp`, 'float', y.zeroPoint)]);
    const clipped = g.op('Clip', `${at}/clip`, [sum, g.scalar(`${at}/lo`, 'float', clamp[0] + y.offset), g.scalar(`${at}/hi`, 'float', clamp[1] + y.offset)]);
    g.node('Cast', `${at}/to_${y.dtype}`, [clipped], [output], { to: ONNX_DTYPE[y.dtype] });
  };

  /** A Clip on a quantized tensor when the op's clamp is narrower than the dtype's range. */
  const clipQuantized = (raw: string, output: string, clamp: Pair, at: string): void => {
    const y = ov(output);
    const [lo, hi] = [clamp[0] + y.offset, clamp[1] + y.offset];
    const full = y.dtype === 'int8' ? [-128, 127] : y.dtype === 'uint8' ? [0, 255] : [-32768, 32767];
    if (lo <= full[0] && hi >= full[1]) {
      g.node('Identity', `${at}/out`, [raw], [output]);
      return;
    }
    g.node('Clip', `${at}/clip`, [raw, g.scalar(`${at}/lo`, y.dtype, lo), g.scalar(`${at}/hi`, y.dtype, hi)], [output]);
  };

  const qscalars = (name: string, at: string, which: string): [string, string] => {
    const v = ov(name);
    return [g.scalar(`${at}/${which}_scale`, 'float', v.scale[0]), g.scalar(`${at}/${which}_zp`, v.dtype, v.zeroPoint)];
  };

  const emit: { [K in IntegerOp['kind']]: (op: Extract<IntegerOp, { kind: K }>) => void } = {
    quantize(op) {
      const y = ov(op.output);
      if (style === 'qoperator') {
        g.node('QuantizeLinear', op.name, [op.inputs[0], ...qscalars(op.output, op.name, 'y')], [op.output]);
        return;
      }
      // q = round_half_even(x · f32(1/s)) + z, as our quantize op.
      const inv = g.scalar(`${op.name}/inv_scale`, 'float', Math.fround(1 / Math.fround(y.scale[0])));
      const r = g.op('Round', `${op.name}/round`, [g.op('Mul', `${op.name}/mul`, [op.inputs[0], inv])]);
      const range = y.dtype === 'int8' ? [-128, 127] : y.dtype === 'uint8' ? [0, 255] : [-32768, 32767];
      finish([r], op.output, [range[0] - y.offset, range[1] - y.offset], op.name);
    },
    dequantize(op) {
      const x = ov(op.inputs[0]);
      const perChannel = x.scale.length > 1;
      const scale = perChannel ? g.init(`${op.name}/scale`, 'float', [x.scale.length], x.scale) : g.scalar(`${op.name}/scale`, 'float', x.scale[0]);
      const inputs = [op.inputs[0], scale];
      if (x.dtype !== 'int32') inputs.push(g.scalar(`${op.name}/zp`, x.dtype, x.zeroPoint));
      g.node('DequantizeLinear', op.name, inputs, [op.output], perChannel ? { axis: 1 } : undefined);
    },
    conv2d(op) {
      weighted(op);
    },
    linear(op) {
      weighted(op);
    },
    add(op: AddOp) {
      const [a, b] = op.inputs.map(ov);
      const y = ov(op.output);
      if (style === 'qoperator' && is8bit(y.dtype) && a.dtype === y.dtype && b.dtype === y.dtype) {
        const raw = g.op('QLinearAdd', `${op.name}/qadd`, [op.inputs[0], ...qscalars(op.inputs[0], op.name, 'a'), op.inputs[1], ...qscalars(op.inputs[1], op.name, 'b'), ...qscalars(op.output, op.name, 'y')], undefined, 'com.microsoft');
        clipQuantized(raw, op.output, op.clamp, op.name);
        return;
      }
      // f32(a'·M_a) + f32(b'·M_b), rounded once (our float mode).
      const ta = g.op('Mul', `${op.name}/a_mul`, [centered(op.inputs[0], op.name), g.scalar(`${op.name}/a_M`, 'float', op.requantA.scale[0])]);
      const tb = g.op('Mul', `${op.name}/b_mul`, [centered(op.inputs[1], op.name), g.scalar(`${op.name}/b_M`, 'float', op.requantB.scale[0])]);
      finish([g.op('Round', `${op.name}/round`, [g.op('Add', `${op.name}/sum_ab`, [ta, tb])])], op.output, op.clamp, op.name);
    },
    max_pool2d(op: MaxPool2dOp) {
      const attributes = {
        kernel_shape: [...op.kernel],
        strides: [...op.stride],
        pads: [op.padding[0], op.padding[1], op.padding[0], op.padding[1]],
        dilations: [...op.dilation],
        ceil_mode: op.ceilMode ? 1 : 0,
      };
      const x = ov(op.inputs[0]);
      if (is8bit(x.dtype)) {
        g.node('MaxPool', op.name, [op.inputs[0]], [op.output], attributes);
        return;
      }
      // No int16 MaxPool in ONNX Runtime: through float32 (exact for integers).
      const pooled = g.op('MaxPool', `${op.name}/float`, [g.op('Cast', `${op.name}/cast`, [op.inputs[0]], { to: ONNX_DTYPE.float })], attributes);
      g.node('Cast', `${op.name}/to_${x.dtype}`, [pooled], [op.output], { to: ONNX_DTYPE[x.dtype] });
    },
    avg_pool2d(op: AvgPool2dOp) {
      const x = info.get(op.inputs[0])!;
      const [c, h, w] = x.shape;
      const [kh, kw] = op.kernel;
      // Window sums by a depthwise conv of ones (integer-valued float32, exact); one divisor for all
      // windows unless border windows are cut (then the divisor map is an average pool of ones, scaled).
      const borderCut = (!op.countIncludePad && (op.padding[0] > 0 || op.padding[1] > 0)) || (op.ceilMode && ((h + 2 * op.padding[0] - kh) % op.stride[0] !== 0 || (w + 2 * op.padding[1] - kw) % op.stride[1] !== 0));
      if (borderCut && op.divisorOverride === null) {
        throw new Error(`ONNX export: avg_pool2d "${op.name}" has windows cut by the border (count_include_pad=False or ceil_mode); not exported yet`);
      }
      const divisor = op.divisorOverride ?? kh * kw;
      const ones = g.init(`${op.name}/ones`, 'float', [c, 1, kh, kw], new Array<number>(c * kh * kw).fill(1));
      const sums = g.op('Conv', `${op.name}/window_sum`, [centered(op.inputs[0], op.name), ones], {
        group: c,
        kernel_shape: [kh, kw],
        strides: [...op.stride],
        pads: [op.padding[0], op.padding[1], op.padding[0], op.padding[1]],
      });
      const m = g.scalar(`${op.name}/M`, 'float', op.requant.scale[divisor]);
      finish([g.op('Round', `${op.name}/round`, [g.op('Mul', `${op.name}/mul`, [sums, m])])], op.output, op.clamp, op.name);
      void w;
    },
    requantize(op: RequantizeOp) {
      const x = info.get(op.inputs[0])!;
      finish([scaled(centered(op.inputs[0], op.name), op.requant, x.shape[0], rank(op.inputs[0]), op.name)], op.output, op.clamp, op.name);
    },
    flatten(op) {
      g.node('Flatten', op.name, [op.inputs[0]], [op.output], { axis: 1 });
    },
    concat(op) {
      g.node('Concat', op.name, [...op.inputs], [op.output], { axis: 1 });
    },
  };

  interface ActivationPart {
    name: string;
    /** Zero-point tensor name. */
    zp: string;
    shift: number;
    label: string;
  }

  /** The conv/linear input as 8-bit operands: itself, or an int16 split into hi (int8) and lo (uint8). */
  function activationParts(name: string, at: string): ActivationPart[] {
    const x = ov(name);
    if (is8bit(x.dtype)) return [{ name, zp: g.scalar(`${at}/x_zp`, x.dtype, x.zeroPoint), shift: 0, label: '' }];
    if (x.dtype !== 'int16' || x.zeroPoint !== 0) throw new Error(`ONNX export: "${name}" (${x.dtype}, zero point ${x.zeroPoint}) cannot be split into bytes`);
    const f = g.op('Cast', `${at}/x_float`, [name], { to: ONNX_DTYPE.float });
    const hiF = g.op('Floor', `${at}/x_hi_float`, [g.op('Mul', `${at}/x_div256`, [f, g.scalar(`${at}/inv256`, 'float', 1 / 256)])]);
    const loF = g.op('Sub', `${at}/x_lo_float`, [f, g.op('Mul', `${at}/x_hi256`, [hiF, g.scalar(`${at}/c256`, 'float', 256)])]);
    return [
      { name: g.op('Cast', `${at}/x_hi`, [hiF], { to: ONNX_DTYPE.int8 }), zp: g.scalar(`${at}/x_hi_zp`, 'int8', 0), shift: 8, label: 'xhi' },
      { name: g.op('Cast', `${at}/x_lo`, [loF], { to: ONNX_DTYPE.uint8 }), zp: g.scalar(`${at}/x_lo_zp`, 'uint8', 0), shift: 0, label: 'xlo' },
    ];
  }

  interface WeightPart {
    data: ArrayLike<number>;
    dtype: 'int8' | 'uint8';
    zeroPoint: number[];
    shift: number;
    label: string;
  }

  function weightParts(op: Conv2dOp | LinearOp, k: number): WeightPart[] {
    const o = op.weightShape[0];
    const zps = op.weightZeroPoint.length === 1 ? new Array<number>(o).fill(op.weightZeroPoint[0]) : [...op.weightZeroPoint];
    if (op.weightDtype === 'int8') return [{ data: op.weight, dtype: 'int8', zeroPoint: zps, shift: 0, label: '' }];
    const hi = new Array<number>(op.weight.length);
    const lo = new Array<number>(op.weight.length);
    for (let i = 0; i < op.weight.length; i++) {
      const c = op.weight[i] - zps[Math.floor(i / k)];
      hi[i] = Math.floor(c / 256);
      lo[i] = c - 256 * hi[i];
      if (hi[i] < -128 || hi[i] > 127) throw new Error(`ONNX export: "${op.name}" weight ${i} minus its zero point does not fit int16`);
    }
    const zeros = new Array<number>(o).fill(0);
    return [
      { data: hi, dtype: 'int8', zeroPoint: zeros, shift: 8, label: 'whi' },
      { data: lo, dtype: 'uint8', zeroPoint: zeros, shift: 0, label: 'wlo' },
    ];
  }

  function weighted(op: Conv2dOp | LinearOp): void {
    const x = ov(op.inputs[0]);
    const y = ov(op.output);
    const isLinear = op.kind === 'linear';
    const o = op.weightShape[0];
    const k = op.weight.length / o;
    const wZeroPointsZero = op.weightZeroPoint.every((z) => z === 0);
    const plain8 =
      style === 'qoperator' && op.requant && op.inputs.length === 1 && is8bit(x.dtype) && x.dtype === y.dtype && op.weightDtype === 'int8' && wZeroPointsZero;
    const at = op.name;
    if (plain8) {
      let input = op.inputs[0];
      let wShape: number[] = [...op.weightShape];
      const attributes: OnnxNode['attributes'] = {};
      if (isLinear) {
        input = g.op('Reshape', `${at}/as_image`, [input, g.init(`${at}/image_shape`, 'int64', [4], [0, k, 1, 1])]);
        wShape = [o, k, 1, 1];
      } else {
        const c = op as Conv2dOp;
        Object.assign(attributes, {
          kernel_shape: [c.weightShape[2], c.weightShape[3]],
          strides: [...c.stride],
          pads: [c.padding[0], c.padding[1], c.padding[0], c.padding[1]],
          dilations: [...c.dilation],
          group: c.groups,
        });
      }
      const inputs = [
        input,
        ...qscalars(op.inputs[0], at, 'x'),
        g.init(`${at}/weight`, 'int8', wShape, op.weight),
        g.init(`${at}/w_scale`, 'float', [o], op.weightScale.length === 1 ? new Array<number>(o).fill(op.weightScale[0]) : op.weightScale),
        g.init(`${at}/w_zp`, 'int8', [o], new Array<number>(o).fill(0)),
        ...qscalars(op.output, at, 'y'),
      ];
      if (op.bias) inputs.push(g.init(`${at}/bias`, 'int32', [o], op.bias));
      let raw = g.op('QLinearConv', `${at}/qconv`, inputs, attributes);
      if (isLinear) raw = g.op('Reshape', `${at}/as_matrix`, [raw, g.init(`${at}/matrix_shape`, 'int64', [2], [0, o])]);
      clipQuantized(raw, op.output, op.clamp, at);
      return;
    }

    // Integer form: the int32 accumulator (wrapping, as ours), then the requantization in float32 ops.
    // int16 operands are split into a high signed byte and a low unsigned byte, v = 256·hi + lo, so the
    // 8-bit integer kernels compute every partial product exactly; the partial sums are shifted and added
    // in int32.
    const r = isLinear ? 2 : 4;
    const xParts = activationParts(op.inputs[0], at);
    const wParts = weightParts(op, k);
    let acc = '';
    for (const xp of xParts) {
      for (const wp of wParts) {
        const label = `${at}/${xp.label}${wp.label}`;
        let part: string;
        if (isLinear) {
          const wt = new Array<number>(k * o);
          for (let j = 0; j < o; j++) for (let i = 0; i < k; i++) wt[i * o + j] = wp.data[j * k + i];
          part = g.op('MatMulInteger', `${label}/matmul`, [xp.name, g.init(`${label}/weight_t`, wp.dtype, [k, o], wt), xp.zp, g.init(`${label}/w_zp`, wp.dtype, [o], wp.zeroPoint)]);
        } else {
          const c = op as Conv2dOp;
          if (!wp.zeroPoint.every((z) => z === wp.zeroPoint[0])) {
            throw new Error(`ONNX export: conv "${op.name}" has per-channel weight zero points, which ConvInteger does not take`);
          }
          part = g.op('ConvInteger', `${label}/conv`, [xp.name, g.init(`${label}/weight`, wp.dtype, [...op.weightShape], wp.data), xp.zp, g.scalar(`${label}/w_zp`, wp.dtype, wp.zeroPoint[0])], {
            kernel_shape: [c.weightShape[2], c.weightShape[3]],
            strides: [...c.stride],
            pads: [c.padding[0], c.padding[1], c.padding[0], c.padding[1]],
            dilations: [...c.dilation],
            group: c.groups,
          });
        }
        const shift = xp.shift + wp.shift;
        if (shift > 0) part = g.op('Mul', `${label}/shift`, [part, g.scalar(`${label}/pow2`, 'int32', 2 ** shift)]);
        acc = acc ? g.op('Add', `${at}/partial_sum`, [acc, part]) : part;
      }
    }
    if (op.bias) acc = g.op('Add', `${at}/add_bias`, [acc, g.init(`${at}/bias`, 'int32', channelDims(o, r), op.bias)]);
    if (op.inputs.length > 1) {
      // The fused residual joins the int32 accumulator, rescaled to s_x·s_w[c] (requantized once after).
      const rescaled = scaled(centered(op.inputs[1], at), op.residualRequant!, o, r, `${at}/residual`);
      acc = g.op('Add', `${at}/add_residual`, [acc, g.op('Cast', `${at}/residual_int32`, [rescaled], { to: ONNX_DTYPE.int32 })]);
    }
    if (!op.requant) {
      g.node('Identity', `${at}/out`, [acc], [op.output]);
      return;
    }
    acc = g.op('Cast', `${at}/acc_float`, [acc], { to: ONNX_DTYPE.float });
    finish([scaled(acc, op.requant, o, r, at)], op.output, op.clamp, at);
  }

  for (const op of model.ops) (emit[op.kind] as (o: IntegerOp) => void)(op);

  const io = (name: string): OnnxValueInfo => ({ name, dtype: ov(name).dtype, shape: [batch, ...info.get(name)!.shape] });
  const opsets: Record<string, number> = { '': ONNX_OPSET };
  if (g.domains.has('com.microsoft')) opsets['com.microsoft'] = 1;
  return modelProto({
    graphName: 'qat_playground',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: model.inputs.map(io),
    outputs: [...model.outputs, ...(options.extraOutputs ?? []).filter((n) => !model.outputs.includes(n))].map(io),
    opsets,
    irVersion: ONNX_IR_VERSION,
    producer: 'qat-playground',
    producerVersion: options.producerVersion ?? '0.1.0',
    doc: `Fixed-point model exported by the QAT Playground (${style} style; ONNX Runtime reproduces the playground's float requantization mode).`,
    metadata: { style, requant_mode_matched: 'float', ...options.metadata },
  });
}
