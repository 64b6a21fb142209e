/**
 * CPU references of pooling in the integer domain (NCHW).
 * Max pooling keeps the scale and zero point. Average pooling sums (x − z_x) over the window and
 * requantizes with M = s_x / (s_y · divisor), the divisor as PyTorch's avg_pool2d computes it.
 */
import { poolOutputSize, type AvgPool2dOpSpec, type MaxPool2dOpSpec } from '../ops';
import { saturateTerm, scaleAccumulator } from '../requant';
import { clampTo } from '../types';

export function maxPool2dOutputShape(spec: MaxPool2dOpSpec): [number, number, number, number] {
  const [n, c, h, w] = spec.xShape;
  const ho = poolOutputSize(h, spec.kernel[0], spec.stride[0], spec.padding[0], spec.dilation[0], spec.ceilMode);
  const wo = poolOutputSize(w, spec.kernel[1], spec.stride[1], spec.padding[1], spec.dilation[1], spec.ceilMode);
  if (ho <= 0 || wo <= 0) throw new Error(`max_pool2d: output size ${ho}x${wo} from input ${h}x${w} is empty`);
  return [n, c, ho, wo];
}

export function maxPool2dIntCpu(spec: MaxPool2dOpSpec, x: ArrayLike<number>): Int32Array {
  const [n, c, h, w] = spec.xShape;
  const [, , ho, wo] = maxPool2dOutputShape(spec);
  const out = new Int32Array(n * c * ho * wo);
  for (let p = 0; p < n * c; p++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        let m = -Infinity;
        for (let ky = 0; ky < spec.kernel[0]; ky++) {
          const iy = oy * spec.stride[0] - spec.padding[0] + ky * spec.dilation[0];
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < spec.kernel[1]; kx++) {
            const ix = ox * spec.stride[1] - spec.padding[1] + kx * spec.dilation[1];
            if (ix < 0 || ix >= w) continue;
            m = Math.max(m, x[(p * h + iy) * w + ix]);
          }
        }
        out[(p * ho + oy) * wo + ox] = m;
      }
    }
  }
  return out;
}

export function avgPool2dOutputShape(spec: AvgPool2dOpSpec): [number, number, number, number] {
  const [n, c, h, w] = spec.xShape;
  const ho = poolOutputSize(h, spec.kernel[0], spec.stride[0], spec.padding[0], 1, spec.ceilMode);
  const wo = poolOutputSize(w, spec.kernel[1], spec.stride[1], spec.padding[1], 1, spec.ceilMode);
  if (ho <= 0 || wo <= 0) throw new Error(`avg_pool2d: output size ${ho}x${wo} from input ${h}x${w} is empty`);
  return [n, c, ho, wo];
}

/** PyTorch's avg_pool2d window: the clipped range and the divisor. */
export function avgPoolWindow(
  o: number,
  kernel: number,
  stride: number,
  padding: number,
  size: number,
): { start: number; end: number; padded: number } {
  let start = o * stride - padding;
  let end = Math.min(start + kernel, size + padding);
  const padded = end - start;
  start = Math.max(start, 0);
  end = Math.min(end, size);
  return { start, end, padded };
}

export function avgPoolDivisor(spec: AvgPool2dOpSpec, oy: number, ox: number): number {
  if (spec.divisorOverride !== null) return spec.divisorOverride;
  const [, , h, w] = spec.xShape;
  const wy = avgPoolWindow(oy, spec.kernel[0], spec.stride[0], spec.padding[0], h);
  const wx = avgPoolWindow(ox, spec.kernel[1], spec.stride[1], spec.padding[1], w);
  return spec.countIncludePad ? wy.padded * wx.padded : (wy.end - wy.start) * (wx.end - wx.start);
}

/** The largest divisor any window can have (the size of the requant table minus one). */
export function maxAvgPoolDivisor(spec: Pick<AvgPool2dOpSpec, 'kernel' | 'divisorOverride'>): number {
  return spec.divisorOverride ?? spec.kernel[0] * spec.kernel[1];
}

export function avgPool2dIntCpu(spec: AvgPool2dOpSpec, x: ArrayLike<number>): Int32Array {
  const [n, c, h, w] = spec.xShape;
  const [, , ho, wo] = avgPool2dOutputShape(spec);
  if (spec.requant.scale.length <= maxAvgPoolDivisor(spec)) {
    throw new Error(`avg_pool2d: requant table has ${spec.requant.scale.length} entries, divisors go up to ${maxAvgPoolDivisor(spec)}`);
  }
  const out = new Int32Array(n * c * ho * wo);
  for (let p = 0; p < n * c; p++) {
    for (let oy = 0; oy < ho; oy++) {
      const wy = avgPoolWindow(oy, spec.kernel[0], spec.stride[0], spec.padding[0], h);
      for (let ox = 0; ox < wo; ox++) {
        const wx = avgPoolWindow(ox, spec.kernel[1], spec.stride[1], spec.padding[1], w);
        let acc = 0;
        for (let iy = wy.start; iy < wy.end; iy++) {
          for (let ix = wx.start; ix < wx.end; ix++) acc = (acc + x[(p * h + iy) * w + ix] - spec.xZeroPoint) | 0;
        }
        const divisor = avgPoolDivisor(spec, oy, ox);
        const y = spec.yZeroPoint + saturateTerm(scaleAccumulator(acc, spec.requant, divisor, spec.mode));
        out[(p * ho + oy) * wo + ox] = clampTo(y, spec.clamp[0], spec.clamp[1]);
      }
    }
  }
  return out;
}
