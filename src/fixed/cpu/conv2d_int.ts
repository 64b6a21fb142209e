/**
 * CPU reference of the integer convolution (the living definition the WGSL kernels are tested against).
 * Logical NCHW layout, values as plain integers in the storage domain (see ../types.ts).
 *
 *   acc[n,o,y,x] = bias[o] + Σ_{c,ky,kx} (x[n,g·Cg+c,iy,ix] − z_x) · (w[o,c,ky,kx] − z_w[o])   (int32, wrapping)
 *
 * Taps outside the input (padding) hold the input zero point, so they add nothing.
 */
import type { Conv2dOpSpec } from '../ops';
import { saturateTerm, scaleAccumulator } from '../requant';
import { clampTo, convOutputSize, wrapInt32, type Conv2dGeometry } from '../types';

export interface IntConv2dInput {
  x: ArrayLike<number>;
  /** [N, C, H, W] */
  xShape: readonly [number, number, number, number];
  xZeroPoint: number;
  weight: ArrayLike<number>;
  /** [O, C/groups, KH, KW] */
  wShape: readonly [number, number, number, number];
  /** One per output channel (or a single value for all). */
  wZeroPoint: readonly number[];
  bias: ArrayLike<number> | null;
  geometry: Conv2dGeometry;
}

export function conv2dIntOutputShape(input: IntConv2dInput): [number, number, number, number] {
  const [n, c, h, w] = input.xShape;
  const [o, cg, kh, kw] = input.wShape;
  const { stride, padding, dilation, groups } = input.geometry;
  if (c !== cg * groups || o % groups !== 0) {
    throw new Error(
      `conv2d_int: input [${input.xShape.join(', ')}] and weight [${input.wShape.join(', ')}] do not fit groups=${groups}`,
    );
  }
  const ho = convOutputSize(h, kh, stride[0], padding[0], dilation[0]);
  const wo = convOutputSize(w, kw, stride[1], padding[1], dilation[1]);
  if (ho <= 0 || wo <= 0) throw new Error(`conv2d_int: output size ${ho}x${wo} from input ${h}x${w} is empty`);
  return [n, o, ho, wo];
}

/** The int32 accumulators of the convolution, NCHW. */
export function conv2dIntAccumulate(input: IntConv2dInput): Int32Array {
  const [n, c, h, w] = input.xShape;
  const [o, cg, kh, kw] = input.wShape;
  const { stride, padding, dilation, groups } = input.geometry;
  const [, , ho, wo] = conv2dIntOutputShape(input);
  const og = o / groups;
  const zx = input.xZeroPoint;
  const out = new Int32Array(n * o * ho * wo);
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const g = Math.floor(oc / og);
      const zw = input.wZeroPoint.length === 1 ? input.wZeroPoint[0] : input.wZeroPoint[oc];
      const bias = input.bias ? input.bias[oc] : 0;
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          let acc = bias | 0;
          for (let ci = 0; ci < cg; ci++) {
            const xc = g * cg + ci;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * stride[0] - padding[0] + ky * dilation[0];
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * stride[1] - padding[1] + kx * dilation[1];
                if (ix < 0 || ix >= w) continue;
                const xv = input.x[((b * c + xc) * h + iy) * w + ix] - zx;
                const wv = input.weight[((oc * cg + ci) * kh + ky) * kw + kx] - zw;
                acc = wrapInt32(acc + Math.imul(xv, wv));
              }
            }
          }
          out[((b * o + oc) * ho + oy) * wo + ox] = acc;
        }
      }
    }
  }
  return out;
}

/**
 * The whole integer conv op: accumulate, then requantize per output channel (plus a residual input
 * rescaled to the output scale, when fused), or keep the int32 accumulators (high-precision output).
 */
export function conv2dIntCpu(spec: Conv2dOpSpec, x: ArrayLike<number>, residual?: ArrayLike<number>): Int32Array {
  const acc = conv2dIntAccumulate({ ...spec, x });
  if (!spec.requant) {
    if (spec.residual) throw new Error('conv2d_int: a residual input needs a requantized output');
    return acc;
  }
  if (spec.residual && (!residual || residual.length !== acc.length)) {
    throw new Error(`conv2d_int: residual input has ${residual?.length ?? 0} values, output ${acc.length}`);
  }
  const [, o, ho, wo] = conv2dIntOutputShape({ ...spec, x });
  const inner = ho * wo;
  const perChannel = spec.requant.scale.length !== 1;
  const out = new Int32Array(acc.length);
  const residualPerChannel = spec.residual ? spec.residual.requant.scale.length !== 1 : false;
  for (let i = 0; i < acc.length; i++) {
    const ch = Math.floor(i / inner) % o;
    let a = acc[i];
    if (spec.residual && residual) {
      // The residual joins the sum in the accumulator's precision (rescaled to s_x·s_w[c]), so the output
      // is rounded once, as the QAT model rounds conv + bn + add.
      const r = (residual[i] - spec.residual.zeroPoint) | 0;
      a = (a + scaleAccumulator(r, spec.residual.requant, residualPerChannel ? ch : 0, spec.mode)) | 0;
    }
    const y = spec.yZeroPoint + saturateTerm(scaleAccumulator(a, spec.requant, perChannel ? ch : 0, spec.mode));
    out[i] = clampTo(y, spec.clamp[0], spec.clamp[1]);
  }
  return out;
}
