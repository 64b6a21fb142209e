/**
 * CPU reference of 2-D convolution (NCHW, groups, stride, padding, dilation) and its two gradients: the
 * living definition the WGSL kernels are tested against. Loops are written as PyTorch's formulas read,
 * accumulating in float64.
 */
export interface ConvCpuParams {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

export interface ConvCpuShapes {
  N: number;
  Cin: number;
  H: number;
  W: number;
  Cout: number;
  KH: number;
  KW: number;
  OH: number;
  OW: number;
}

export function convShapes(x: readonly number[], w: readonly number[], p: ConvCpuParams): ConvCpuShapes {
  const [N, Cin, H, W] = x as [number, number, number, number];
  const [Cout, , KH, KW] = w as [number, number, number, number];
  const OH = Math.floor((H + 2 * p.padding[0] - p.dilation[0] * (KH - 1) - 1) / p.stride[0]) + 1;
  const OW = Math.floor((W + 2 * p.padding[1] - p.dilation[1] * (KW - 1) - 1) / p.stride[1]) + 1;
  return { N, Cin, H, W, Cout, KH, KW, OH, OW };
}

/** Visits every (output element, weight element, input element) triple that contributes to the conv. */
function forEachTap(
  s: ConvCpuShapes,
  p: ConvCpuParams,
  visit: (yIndex: number, wIndex: number, xIndex: number) => void,
): void {
  const CinG = s.Cin / p.groups;
  const CoutG = s.Cout / p.groups;
  for (let n = 0; n < s.N; n++) {
    for (let co = 0; co < s.Cout; co++) {
      const g = Math.floor(co / CoutG);
      for (let oy = 0; oy < s.OH; oy++) {
        for (let ox = 0; ox < s.OW; ox++) {
          const yIndex = ((n * s.Cout + co) * s.OH + oy) * s.OW + ox;
          for (let ci = 0; ci < CinG; ci++) {
            for (let ky = 0; ky < s.KH; ky++) {
              const iy = oy * p.stride[0] - p.padding[0] + ky * p.dilation[0];
              if (iy < 0 || iy >= s.H) continue;
              for (let kx = 0; kx < s.KW; kx++) {
                const ix = ox * p.stride[1] - p.padding[1] + kx * p.dilation[1];
                if (ix < 0 || ix >= s.W) continue;
                const xIndex = ((n * s.Cin + g * CinG + ci) * s.H + iy) * s.W + ix;
                const wIndex = ((co * CinG + ci) * s.KH + ky) * s.KW + kx;
                visit(yIndex, wIndex, xIndex);
              }
            }
          }
        }
      }
    }
  }
}

export function conv2dCpu(
  x: Float32Array,
  xShape: readonly number[],
  w: Float32Array,
  wShape: readonly number[],
  bias: Float32Array | null,
  p: ConvCpuParams,
): { y: Float32Array; shape: number[] } {
  const s = convShapes(xShape, wShape, p);
  const acc = new Float64Array(s.N * s.Cout * s.OH * s.OW);
  forEachTap(s, p, (yi, wi, xi) => {
    acc[yi] += x[xi]! * w[wi]!;
  });
  const plane = s.OH * s.OW;
  const y = new Float32Array(acc.length);
  for (let i = 0; i < acc.length; i++) y[i] = acc[i]! + (bias ? bias[Math.floor(i / plane) % s.Cout]! : 0);
  return { y, shape: [s.N, s.Cout, s.OH, s.OW] };
}

/** dL/dx, dL/dw and dL/db given dL/dy. */
export function conv2dBackwardCpu(
  gy: Float32Array,
  x: Float32Array,
  xShape: readonly number[],
  w: Float32Array,
  wShape: readonly number[],
  p: ConvCpuParams,
): { dx: Float32Array; dw: Float32Array; db: Float32Array } {
  const s = convShapes(xShape, wShape, p);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  forEachTap(s, p, (yi, wi, xi) => {
    dx[xi] += gy[yi]! * w[wi]!;
    dw[wi] += gy[yi]! * x[xi]!;
  });
  const db = new Float64Array(s.Cout);
  const plane = s.OH * s.OW;
  for (let i = 0; i < gy.length; i++) db[Math.floor(i / plane) % s.Cout] += gy[i]!;
  return { dx: Float32Array.from(dx), dw: Float32Array.from(dw), db: Float32Array.from(db) };
}
