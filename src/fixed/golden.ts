/**
 * The `quantized_conv2d` section of the golden file: PyTorch 1.13 qnnpack int8 convolutions (quint8 input
 * with a zero point, per-tensor qint8 weights, float bias, optional ReLU, quint8 output). Float-requant
 * mode must reproduce PyTorch exactly; multiplier/shift mode within 1 LSB.
 */
import { QRANGE } from '../quant/types';
import { conv2dIntCpu } from './cpu/conv2d_int';
import { makeRequantParams, quantizeBias, type RequantMode } from './requant';
import { storageQParams } from './types';
import type { Conv2dOpSpec } from './ops';

export interface QuantizedConv2dCase {
  x_int: number[];
  x_shape: number[];
  x_scale: number;
  x_zero_point: number;
  w_int: number[];
  w_shape: number[];
  w_scale: number;
  bias_float: number[];
  stride: number;
  padding: number;
  relu: boolean;
  y_scale: number;
  y_zero_point: number;
  y_int: number[];
  y_shape: number[];
}

export type GoldenBackend = 'cpu' | 'gpu';

export interface GoldenCheckResult {
  passed: boolean;
  /** Largest |ours − PyTorch| in output LSB. */
  maxDiff: number;
  /** How many outputs differ at all. */
  mismatches: number;
  /** Tolerance used: 0 in float mode, 1 in multiplier mode. */
  tolerance: number;
  message: string;
}

function quad(shape: readonly number[], what: string): [number, number, number, number] {
  if (shape.length !== 4) throw new Error(`quantized_conv2d case: ${what} shape [${shape.join(', ')}] is not 4-D`);
  return [shape[0], shape[1], shape[2], shape[3]];
}

/** The case as a conv op in the executor's terms (storage domain: quint8 shifted to int8). */
export function caseToConvSpec(c: QuantizedConv2dCase, mode: RequantMode): Conv2dOpSpec {
  const xq = storageQParams('quint8', c.x_zero_point);
  const yq = storageQParams('quint8', c.y_zero_point);
  const wShape = quad(c.w_shape, 'weight');
  const outChannels = wShape[0];
  const weightScales = new Array<number>(outChannels).fill(c.w_scale);
  return {
    mode,
    xShape: quad(c.x_shape, 'input'),
    xZeroPoint: xq.zeroPoint,
    weight: Int8Array.from(c.w_int),
    wShape,
    wZeroPoint: [0],
    wDtype: 'int8',
    bias: quantizeBias(c.bias_float, c.x_scale, [c.w_scale]),
    geometry: { stride: [c.stride, c.stride], padding: [c.padding, c.padding], dilation: [1, 1], groups: 1 },
    requant: makeRequantParams(c.x_scale, weightScales, c.y_scale),
    outDtype: 'int8',
    yZeroPoint: yq.zeroPoint,
    // qnnpack's ReLU: output_min is the output zero point.
    clamp: [c.relu ? yq.zeroPoint : yq.qmin, yq.qmax],
  };
}

/** The case's input in the storage domain (quint8 shifted to int8). */
export function caseInput(c: QuantizedConv2dCase): number[] {
  const offset = storageQParams('quint8', c.x_zero_point).offset;
  return c.x_int.map((v) => v + offset);
}

/** Storage-domain outputs back to PyTorch's quint8 values. */
export function caseOutputToQuint8(c: QuantizedConv2dCase, y: ArrayLike<number>): Int32Array {
  const offset = storageQParams('quint8', c.y_zero_point).offset;
  return Int32Array.from(y, (v) => v - offset);
}

/** Runs the case on the CPU reference; returns the quint8 outputs (PyTorch's domain). */
export function runQuantizedConv2dCaseCpu(c: QuantizedConv2dCase, mode: RequantMode): Int32Array {
  return caseOutputToQuint8(c, conv2dIntCpu(caseToConvSpec(c, mode), caseInput(c)));
}

/**
 * Checks one `quantized_conv2d` golden case on a backend and requant mode: float mode must be exact,
 * multiplier mode within 1 LSB. The GPU backend needs the engine's device to be open (setDevice) and a
 * runner that imports WGSL as text (vite-node, vitest, the app), not tsx.
 */
export async function checkQuantizedConv2dCase(
  c: QuantizedConv2dCase,
  options: { backend: GoldenBackend; mode: RequantMode },
): Promise<GoldenCheckResult> {
  // The GPU side is loaded only when asked for, so CPU checks run where WGSL cannot be imported (tsx).
  const ours =
    options.backend === 'cpu'
      ? runQuantizedConv2dCaseCpu(c, options.mode)
      : await (await import('./golden_gpu')).runQuantizedConv2dCaseGpu(c, options.mode);
  return compareToGolden(c, ours, options.mode);
}

export function compareToGolden(c: QuantizedConv2dCase, ours: ArrayLike<number>, mode: RequantMode): GoldenCheckResult {
  const tolerance = mode === 'float' ? 0 : 1;
  if (ours.length !== c.y_int.length) {
    return {
      passed: false,
      maxDiff: Infinity,
      mismatches: c.y_int.length,
      tolerance,
      message: `output has ${ours.length} values, PyTorch ${c.y_int.length} (shape [${c.y_shape.join(', ')}])`,
    };
  }
  const [lo, hi] = QRANGE.quint8;
  let maxDiff = 0;
  let mismatches = 0;
  let first = -1;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(ours[i] - c.y_int[i]);
    if (ours[i] < lo || ours[i] > hi) mismatches++;
    if (d > 0) {
      mismatches++;
      if (first < 0) first = i;
    }
    maxDiff = Math.max(maxDiff, d);
  }
  const passed = maxDiff <= tolerance;
  const message =
    mismatches === 0
      ? `exact (${ours.length} outputs)`
      : `${mismatches} of ${ours.length} outputs differ, max ${maxDiff} LSB (first at ${first}: ours ${ours[first]}, PyTorch ${c.y_int[first]})`;
  return { passed, maxDiff, mismatches, tolerance, message };
}
