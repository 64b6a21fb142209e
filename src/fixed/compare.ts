/**
 * Per-layer agreement between the fixed-point model and a float reference (the fake-quant model's output
 * of the same layer, or the float model's): how many output steps (LSB) they part by, and the SQNR.
 */
import type { IntValueInfo } from './model';

export interface LayerDiff {
  /** Largest |fixed − reference| in units of the layer's output scale (LSB). */
  maxLsb: number;
  meanAbsLsb: number;
  /** 10·log10(Σ ref² / Σ (ref − dequantized fixed)²) in dB; Infinity when they are equal. */
  sqnrDb: number;
  count: number;
}

/**
 * `fixed`: a quantized value from an executor (NCHW, storage domain); `reference`: floats of the same
 * shape; `info`: the value's declaration (scale per tensor or per channel, zero point, per-sample shape).
 */
export function compareToReference(fixed: ArrayLike<number>, reference: ArrayLike<number>, info: IntValueInfo): LayerDiff {
  if (fixed.length !== reference.length) {
    throw new Error(`compare "${info.name}": ${fixed.length} fixed-point values, ${reference.length} reference values`);
  }
  const scales = info.scale;
  if (!scales || scales.length === 0) throw new Error(`compare "${info.name}": the value has no scale`);
  const channels = info.shape[0];
  const inner = info.shape.slice(1).reduce((a, b) => a * b, 1);
  const zp = info.zeroPoint ?? 0;
  let maxLsb = 0;
  let sumLsb = 0;
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < fixed.length; i++) {
    const s = scales.length === 1 ? scales[0] : scales[Math.floor(i / inner) % channels];
    const deq = (fixed[i] - zp) * s;
    const err = reference[i] - deq;
    const lsb = Math.abs(err) / s;
    maxLsb = Math.max(maxLsb, lsb);
    sumLsb += lsb;
    signal += reference[i] * reference[i];
    noise += err * err;
  }
  return {
    maxLsb,
    meanAbsLsb: fixed.length ? sumLsb / fixed.length : 0,
    sqnrDb: noise === 0 ? Infinity : 10 * Math.log10(signal / noise),
    count: fixed.length,
  };
}
