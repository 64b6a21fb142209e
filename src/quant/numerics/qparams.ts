/**
 * Quantization parameters from observed ranges, exactly as torch.ao.quantization's
 * UniformQuantizationObserverBase._calculate_qparams computes them in float32.
 */
import { QRANGE, type QDType, type QScheme, isSymmetric } from '../types';
import { FLOAT32_EPS, f32, nearbyint } from './float32';

export interface QRangeOptions {
  dtype: QDType;
  quant_min?: number | null;
  quant_max?: number | null;
  reduce_range?: boolean;
}

/**
 * The integer range an observer quantizes to (PyTorch's calculate_qmin_qmax): the dtype's range unless a
 * custom one is given; `reduce_range` drops one bit (for quint8: [0, 127]).
 */
export function calculateQminQmax(options: QRangeOptions): { quant_min: number; quant_max: number; has_customized_qrange: boolean } {
  const { dtype, reduce_range = false } = options;
  const custom = options.quant_min != null && options.quant_max != null;
  if (!custom && (options.quant_min != null || options.quant_max != null)) {
    throw new Error(`quant_min and quant_max must be given together (got quant_min=${options.quant_min}, quant_max=${options.quant_max})`);
  }
  let [qmin, qmax] = QRANGE[dtype];
  if (custom) {
    qmin = options.quant_min!;
    qmax = options.quant_max!;
    if (!(qmin <= 0 && 0 <= qmax)) throw new Error(`User-specified quantization range must include 0 (got [${qmin}, ${qmax}])`);
    if (qmin >= qmax) throw new Error(`quant_min must be less than quant_max (got [${qmin}, ${qmax}])`);
    const [lo, hi] = QRANGE[dtype];
    if (qmin < lo || qmax > hi) throw new Error(`quantization range [${qmin}, ${qmax}] exceeds ${dtype}'s [${lo}, ${hi}]`);
  }
  if (reduce_range) {
    qmin = Math.floor(qmin / 2);
    qmax = Math.floor(qmax / 2);
  }
  return { quant_min: qmin, quant_max: qmax, has_customized_qrange: custom };
}

export interface QParamsConfig {
  dtype: QDType;
  qscheme: QScheme;
  quant_min: number;
  quant_max: number;
  eps?: number;
  has_customized_qrange?: boolean;
}

/**
 * scale and zero_point per channel (one channel for per-tensor) from min_val/max_val. An uninitialized
 * observer (min = +inf, max = -inf) gives scale 1, zero point 0, as PyTorch does.
 */
export function calculateQParams(
  minVal: ArrayLike<number>,
  maxVal: ArrayLike<number>,
  config: QParamsConfig,
): { scale: Float32Array; zero_point: Int32Array } {
  const n = minVal.length;
  if (maxVal.length !== n) throw new Error(`calculate_qparams: min_val has ${n} values, max_val ${maxVal.length}`);
  const { quant_min: qmin, quant_max: qmax } = config;
  const eps = f32(config.eps ?? FLOAT32_EPS);
  const scale = new Float32Array(n);
  const zeroPoint = new Int32Array(n);
  const uninitialized = n === 1 && minVal[0] === Infinity && maxVal[0] === -Infinity;
  if (uninitialized || n === 0) {
    return { scale: new Float32Array([1]), zero_point: new Int32Array([0]) };
  }
  for (let c = 0; c < n; c++) {
    const lo = f32(minVal[c]!);
    const hi = f32(maxVal[c]!);
    if (lo > hi) throw new Error(`calculate_qparams: min_val ${lo} > max_val ${hi} (channel ${c})`);
    const minNeg = Math.min(lo, 0);
    const maxPos = Math.max(hi, 0);
    if (isSymmetric(config.qscheme)) {
      const absMax = Math.max(-minNeg, maxPos);
      // max_val_pos / (float(quant_max - quant_min) / 2): the divisor is a double rounded to float32.
      let s = f32(absMax / f32((qmax - qmin) / 2));
      s = Math.max(s, eps);
      scale[c] = s;
      if (config.dtype === 'quint8') {
        zeroPoint[c] = config.has_customized_qrange ? Math.floor((qmin + qmax) / 2) : 128;
      }
    } else {
      let s = f32(f32(maxPos - minNeg) / f32(qmax - qmin));
      s = Math.max(s, eps);
      scale[c] = s;
      let z = qmin - nearbyint(f32(minNeg / s));
      z = Math.min(Math.max(z, qmin), qmax);
      zeroPoint[c] = z;
    }
  }
  return { scale, zero_point: zeroPoint };
}
