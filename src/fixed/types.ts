/**
 * Integer storage types of the fixed-point executor and how PyTorch's quantized dtypes map onto them.
 *
 * Activations are always stored signed: a quint8 tensor (values 0..255, zero point z) is stored as int8
 * values q − 128 with zero point z − 128. Every integer op works on differences `q − z`, so the shift
 * changes no result; it lets one int8 kernel (and `dot4I8Packed`) serve both qint8 and quint8.
 */
import { QRANGE, type QDType } from '../quant/types';

export type IntDType = 'int8' | 'int16' | 'int32';

export const INT_RANGE: Record<IntDType, readonly [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

export const INT_BITS: Record<IntDType, 8 | 16 | 32> = { int8: 8, int16: 16, int32: 32 };

/** A quantized dtype as stored: the storage dtype, and the zero point and range moved into it. */
export interface StorageQParams {
  dtype: IntDType;
  zeroPoint: number;
  qmin: number;
  qmax: number;
  /** What was added to the PyTorch values to store them (−128 for quint8, else 0). */
  offset: number;
}

export function storageQParams(qdtype: QDType, zeroPoint: number): StorageQParams {
  const [qmin, qmax] = QRANGE[qdtype];
  if (!Number.isInteger(zeroPoint) || zeroPoint < qmin || zeroPoint > qmax) {
    throw new Error(`storageQParams: zero point ${zeroPoint} is outside ${qdtype} [${qmin}, ${qmax}]`);
  }
  const dtype: IntDType = qdtype === 'qint16' ? 'int16' : qdtype === 'qint32' ? 'int32' : 'int8';
  const offset = qdtype === 'quint8' ? -128 : 0;
  return { dtype, zeroPoint: zeroPoint + offset, qmin: qmin + offset, qmax: qmax + offset, offset };
}

export type Pair = readonly [number, number];

export interface Conv2dGeometry {
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  groups: number;
}

export function convOutputSize(inSize: number, kernel: number, stride: number, padding: number, dilation: number): number {
  return Math.floor((inSize + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** Wraps to int32, as the accumulators do. */
export function wrapInt32(x: number): number {
  return x | 0;
}

export function clampTo(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
