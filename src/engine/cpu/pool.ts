/**
 * CPU references of max, average and adaptive average pooling over NCHW, forward and backward, as
 * PyTorch defines them (max: padding is -inf, first maximum wins; avg: count_include_pad divisor;
 * adaptive: windows [floor(o·H/OH), ceil((o+1)·H/OH))).
 */
export interface PoolCpuParams {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}

interface Window {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
  divisor: number;
}

function fixedWindow(oy: number, ox: number, H: number, W: number, p: PoolCpuParams): Window {
  let y0 = oy * p.stride[0] - p.padding[0];
  let x0 = ox * p.stride[1] - p.padding[1];
  let y1 = Math.min(y0 + p.kernel[0], H + p.padding[0]);
  let x1 = Math.min(x0 + p.kernel[1], W + p.padding[1]);
  const divisor = (y1 - y0) * (x1 - x0);
  y0 = Math.max(y0, 0);
  x0 = Math.max(x0, 0);
  y1 = Math.min(y1, H);
  x1 = Math.min(x1, W);
  return { y0, y1, x0, x1, divisor };
}

function adaptiveWindow(oy: number, ox: number, H: number, W: number, OH: number, OW: number): Window {
  const y0 = Math.floor((oy * H) / OH);
  const y1 = Math.ceil(((oy + 1) * H) / OH);
  const x0 = Math.floor((ox * W) / OW);
  const x1 = Math.ceil(((ox + 1) * W) / OW);
  return { y0, y1, x0, x1, divisor: (y1 - y0) * (x1 - x0) };
}

export function poolOutputSize(H: number, W: number, p: PoolCpuParams): [number, number] {
  return [Math.floor((H + 2 * p.padding[0] - p.kernel[0]) / p.stride[0]) + 1, Math.floor((W + 2 * p.padding[1] - p.kernel[1]) / p.stride[1]) + 1];
}

export function maxPoolCpu(x: Float32Array, shape: readonly number[], p: PoolCpuParams): { y: Float32Array; argmax: Int32Array; shape: number[] } {
  const [N, C, H, W] = shape as [number, number, number, number];
  const [OH, OW] = poolOutputSize(H, W, p);
  const y = new Float32Array(N * C * OH * OW);
  const argmax = new Int32Array(y.length);
  for (let plane = 0; plane < N * C; plane++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let best = -Infinity;
        let index = -1;
        for (let ky = 0; ky < p.kernel[0]; ky++) {
          const iy = oy * p.stride[0] - p.padding[0] + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < p.kernel[1]; kx++) {
            const ix = ox * p.stride[1] - p.padding[1] + kx;
            if (ix < 0 || ix >= W) continue;
            const v = x[plane * H * W + iy * W + ix]!;
            if (index === -1 || v > best || Number.isNaN(v)) {
              best = v;
              index = iy * W + ix;
            }
          }
        }
        const o = plane * OH * OW + oy * OW + ox;
        y[o] = best;
        argmax[o] = index;
      }
    }
  }
  return { y, argmax, shape: [N, C, OH, OW] };
}

export function maxPoolBackwardCpu(gy: Float32Array, argmax: Int32Array, shape: readonly number[], outShape: readonly number[]): Float32Array {
  const [N, C, H, W] = shape as [number, number, number, number];
  const [, , OH, OW] = outShape as [number, number, number, number];
  const dx = new Float32Array(N * C * H * W);
  for (let plane = 0; plane < N * C; plane++) {
    for (let o = 0; o < OH * OW; o++) {
      const i = plane * OH * OW + o;
      dx[plane * H * W + argmax[i]!] += gy[i]!;
    }
  }
  return dx;
}

function windows(shape: readonly number[], out: [number, number], p: PoolCpuParams | null): Window[] {
  const [, , H, W] = shape as [number, number, number, number];
  const list: Window[] = [];
  for (let oy = 0; oy < out[0]; oy++) {
    for (let ox = 0; ox < out[1]; ox++) list.push(p ? fixedWindow(oy, ox, H, W, p) : adaptiveWindow(oy, ox, H, W, out[0], out[1]));
  }
  return list;
}

/** Average pooling with `p`, or adaptive average pooling to `adaptiveOut` when p is null. */
export function avgPoolCpu(x: Float32Array, shape: readonly number[], p: PoolCpuParams | null, adaptiveOut?: [number, number]): { y: Float32Array; shape: number[] } {
  const [N, C, H, W] = shape as [number, number, number, number];
  const out = p ? poolOutputSize(H, W, p) : adaptiveOut!;
  const ws = windows(shape, out, p);
  const y = new Float32Array(N * C * ws.length);
  for (let plane = 0; plane < N * C; plane++) {
    ws.forEach((w, o) => {
      let s = 0;
      for (let iy = w.y0; iy < w.y1; iy++) for (let ix = w.x0; ix < w.x1; ix++) s += x[plane * H * W + iy * W + ix]!;
      y[plane * ws.length + o] = s / w.divisor;
    });
  }
  return { y, shape: [N, C, out[0], out[1]] };
}

export function avgPoolBackwardCpu(gy: Float32Array, shape: readonly number[], p: PoolCpuParams | null, adaptiveOut?: [number, number]): Float32Array {
  const [N, C, H, W] = shape as [number, number, number, number];
  const out = p ? poolOutputSize(H, W, p) : adaptiveOut!;
  const ws = windows(shape, out, p);
  const dx = new Float64Array(N * C * H * W);
  for (let plane = 0; plane < N * C; plane++) {
    ws.forEach((w, o) => {
      const g = gy[plane * ws.length + o]! / w.divisor;
      for (let iy = w.y0; iy < w.y1; iy++) for (let ix = w.x0; ix < w.x1; ix++) dx[plane * H * W + iy * W + ix] += g;
    });
  }
  return Float32Array.from(dx);
}
