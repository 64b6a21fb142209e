/**
 * The integer model: what conversion produces and what the executors (CPU and WebGPU), the
 * compiled-model file and the ONNX exporter consume. Plain data only — numbers, strings, arrays and typed
 * arrays — so it survives structured clone (worker messages, IndexedDB) and maps onto a file format.
 *
 * Values are named tensors with a per-sample shape in PyTorch's order ([C, H, W] or [C]; the batch is
 * whatever the input has). Integers are in the storage domain (types.ts: quint8 is stored as int8 with
 * the zero point moved by −128; `qdtype` keeps the PyTorch dtype for export). Ops run in list order.
 */
import type { QDType } from '../quant/types';
import type { RequantMode, RequantParams } from './requant';
import type { IntDType, Pair } from './types';

export const INTEGER_MODEL_FORMAT = 'qat-playground/integer-model';
export const INTEGER_MODEL_VERSION = 1;

export interface IntValueInfo {
  name: string;
  /** Per-sample shape in PyTorch order: [C, H, W] or [C]. */
  shape: number[];
  dtype: 'float32' | IntDType;
  /** Quantized values: one scale, or one per channel (an int32 output at s_x·s_w[c]). */
  scale?: number[];
  /** Storage-domain zero point (0 for int32). */
  zeroPoint?: number;
  /** The PyTorch dtype (quint8 values are stored shifted by −128). */
  qdtype?: QDType;
}

interface OpBase {
  /** The layer's name in the float/QAT model (messages, per-layer tables). */
  name: string;
  inputs: string[];
  output: string;
}

/** Float → int (the QuantStub). Output qparams come from the output value. */
export interface QuantizeOp extends OpBase {
  kind: 'quantize';
}

/** Int → float (the DeQuantStub, or a high-precision int32 output), with the input value's qparams. */
export interface DequantizeOp extends OpBase {
  kind: 'dequantize';
}

interface WeightedOp extends OpBase {
  weight: Int8Array | Int16Array;
  weightDtype: 'int8' | 'int16';
  /** Per output channel (or one). */
  weightScale: number[];
  /** Per output channel (or one); 0 for symmetric weights. */
  weightZeroPoint: number[];
  /** int32 at s_x·s_w[c], or null. */
  bias: Int32Array | null;
  /** Null: the output is the int32 accumulator (high precision). */
  requant: RequantParams | null;
  /** Output clamp in the storage domain (the dtype's range, or a fused ReLU/ReLU6's). */
  clamp: Pair;
  /**
   * With a second input (inputs[1]): the fused add's rescale of it into the accumulator's scale,
   * M_c = s_r / (s_x·s_w[c]) per output channel (the sum is requantized once).
   */
  residualRequant?: RequantParams;
}

export interface Conv2dOp extends WeightedOp {
  kind: 'conv2d';
  /** [O, C/groups, KH, KW] */
  weightShape: [number, number, number, number];
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  groups: number;
}

export interface LinearOp extends WeightedOp {
  kind: 'linear';
  /** [O, K] */
  weightShape: [number, number];
}

/**
 * inputs[0] + inputs[1], each rescaled to the output scale, the sum rounded once. In multiplier mode the
 * requant constants hold M·2^k and the sum is divided by 2^k (k = precisionShift, default 0).
 */
export interface AddOp extends OpBase {
  kind: 'add';
  requantA: RequantParams;
  requantB: RequantParams;
  precisionShift?: number;
  clamp: Pair;
}

export interface MaxPool2dOp extends OpBase {
  kind: 'max_pool2d';
  kernel: Pair;
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  ceilMode: boolean;
}

export interface AvgPool2dOp extends OpBase {
  kind: 'avg_pool2d';
  kernel: Pair;
  stride: Pair;
  padding: Pair;
  ceilMode: boolean;
  countIncludePad: boolean;
  divisorOverride: number | null;
  /** Indexed by the window's divisor (entry 0 unused): M = s_x / (s_y · divisor). */
  requant: RequantParams;
  clamp: Pair;
}

/** A change of scale/dtype, per channel (e.g. int32 → int8, or int8 → int16). */
export interface RequantizeOp extends OpBase {
  kind: 'requantize';
  requant: RequantParams;
  clamp: Pair;
}

/** [C, H, W] → [C·H·W] in PyTorch's order. */
export interface FlattenOp extends OpBase {
  kind: 'flatten';
}

/** inputs concatenated along channels (dim 1); they share the output's dtype, scale and zero point. */
export interface ConcatOp extends OpBase {
  kind: 'concat';
}

export type IntegerOp = QuantizeOp | DequantizeOp | Conv2dOp | LinearOp | AddOp | MaxPool2dOp | AvgPool2dOp | RequantizeOp | FlattenOp | ConcatOp;

export type IntegerOpKind = IntegerOp['kind'];

export interface IntegerModel {
  format: typeof INTEGER_MODEL_FORMAT;
  version: number;
  /** How every op requantizes: the chip's integer multiplier/shift, or qnnpack's float32 arithmetic. */
  mode: RequantMode;
  /** Float inputs (NCHW with a batch dimension in front of the value's shape). */
  inputs: string[];
  outputs: string[];
  values: IntValueInfo[];
  ops: IntegerOp[];
}

export function valueMap(model: IntegerModel): Map<string, IntValueInfo> {
  return new Map(model.values.map((v) => [v.name, v]));
}

/** The same model with another requantization mode (the constants of both are stored). */
export function withMode(model: IntegerModel, mode: RequantMode): IntegerModel {
  return { ...model, mode };
}
