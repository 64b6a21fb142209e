/**
 * Pooling kernels over NCHW: max (with argmax for the backward), average (PyTorch's count_include_pad
 * divisor) and adaptive average. Backward passes gather per input element, so no atomics are needed.
 */
import maxWgsl from '../../../shaders/max_pool2d.wgsl?raw';
import max2x2Wgsl from '../../../shaders/max_pool2d_2x2.wgsl?raw';
import maxBackward2x2Wgsl from '../../../shaders/max_pool2d_backward_2x2.wgsl?raw';
import maxBackwardWgsl from '../../../shaders/max_pool2d_backward.wgsl?raw';
import maxBackwardDisjointWgsl from '../../../shaders/max_pool2d_backward_disjoint.wgsl?raw';
import avgWgsl from '../../../shaders/avg_pool2d.wgsl?raw';
import avgBackwardWgsl from '../../../shaders/avg_pool2d_backward.wgsl?raw';
import avgWindowWgsl from '../../../shaders/avg_pool_window.wgsl?raw';
import { Tensor } from '../tensor';
import { Uniforms, launchPlanes } from './launch';
import { fillInto } from './elementwise';

export interface PoolGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  OH: number;
  OW: number;
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  /** adaptive_avg_pool2d windows (kernel/stride/padding unused). */
  adaptive: boolean;
  countIncludePad: boolean;
}

export function poolGeometry(
  shape: readonly number[],
  kernel: [number, number],
  stride: [number, number],
  padding: [number, number],
  what: string,
): PoolGeometry {
  if (shape.length !== 4) throw new Error(`${what}: input must be [N, C, H, W], got [${shape.join(', ')}]`);
  const [N, C, H, W] = shape as [number, number, number, number];
  if (padding[0] * 2 > kernel[0] || padding[1] * 2 > kernel[1]) {
    throw new Error(`${what}: padding (${padding}) should be at most half of kernel_size (${kernel})`);
  }
  const OH = Math.floor((H + 2 * padding[0] - kernel[0]) / stride[0]) + 1;
  const OW = Math.floor((W + 2 * padding[1] - kernel[1]) / stride[1]) + 1;
  if (OH <= 0 || OW <= 0) throw new Error(`${what}: input [${shape.join(', ')}] is smaller than kernel ${kernel}`);
  return { N, C, H, W, OH, OW, kernel, stride, padding, adaptive: false, countIncludePad: true };
}

export function adaptiveGeometry(shape: readonly number[], output: [number, number]): PoolGeometry {
  if (shape.length !== 4) throw new Error(`adaptive_avg_pool2d: input must be [N, C, H, W], got [${shape.join(', ')}]`);
  const [N, C, H, W] = shape as [number, number, number, number];
  if (output[0] <= 0 || output[1] <= 0) throw new Error(`adaptive_avg_pool2d: output size (${output}) must be positive`);
  return { N, C, H, W, OH: output[0], OW: output[1], kernel: [1, 1], stride: [1, 1], padding: [0, 0], adaptive: true, countIncludePad: true };
}

function geometryUniforms(g: PoolGeometry): (u: Uniforms) => Uniforms {
  return (u) =>
    u
      .u32(g.H, g.W, g.OH, g.OW, g.kernel[0], g.kernel[1], g.stride[0], g.stride[1])
      .i32(g.padding[0], g.padding[1])
      .u32(g.countIncludePad ? 1 : 0);
}

/** 2×2 windows, stride 2, no padding, even rows: the vec2 kernels apply. */
function pairs(g: PoolGeometry): boolean {
  return g.kernel[0] === 2 && g.kernel[1] === 2 && g.stride[0] === 2 && g.stride[1] === 2 && g.padding[0] === 0 && g.padding[1] === 0 && g.W % 2 === 0;
}

export function maxPoolForward(x: Tensor, g: PoolGeometry): [Tensor, Tensor] {
  const y = new Tensor([g.N, g.C, g.OH, g.OW]);
  const argmax = new Tensor([g.N, g.C, g.OH, g.OW], 'int32');
  if (pairs(g)) {
    launchPlanes('max_pool2d_2x2', () => max2x2Wgsl, {}, [x.buffer, y.buffer, argmax.buffer], g.N * g.C, g.OH * g.OW, (u) => u.u32(g.H, g.W, g.OH, g.OW));
  } else {
    launchPlanes('max_pool2d', () => maxWgsl, {}, [x.buffer, y.buffer, argmax.buffer], g.N * g.C, g.OH * g.OW, geometryUniforms(g));
  }
  return [y, argmax];
}

/**
 * Max pooling's input gradient. With `reluMaskFrom` (the pool's output), a window whose max is not > 0
 * passes nothing: the backward of a ReLU right before the pool, fused in (its mask at the chosen
 * element is exactly "pooled value > 0").
 */
export function maxPoolBackward(gy: Tensor, argmax: Tensor, g: PoolGeometry, reluMaskFrom: Tensor | null = null): Tensor {
  const dx = new Tensor([g.N, g.C, g.H, g.W]);
  const masked = reluMaskFrom ? 1 : 0;
  const buffers = [gy.buffer, argmax.buffer, dx.buffer, (reluMaskFrom ?? gy).buffer];
  const disjoint = g.stride[0] === g.kernel[0] && g.stride[1] === g.kernel[1] && g.padding[0] === 0 && g.padding[1] === 0;
  if (disjoint) {
    // Each output writes its own window: a quarter of the loads of gathering per input (2x2 pools).
    if (g.H % g.kernel[0] !== 0 || g.W % g.kernel[1] !== 0) fillInto(dx, 0);
    if (pairs(g)) {
      launchPlanes('max_pool2d_bwd_2x2', () => maxBackward2x2Wgsl, {}, buffers, g.N * g.C, g.OH * g.OW, (u) => u.u32(g.H, g.W, g.OH, g.OW, masked));
      return dx;
    }
    launchPlanes('max_pool2d_bwd_disjoint', () => maxBackwardDisjointWgsl, {}, buffers, g.N * g.C, g.OH * g.OW, (u) =>
      u.u32(g.H, g.W, g.OH, g.OW, g.kernel[0], g.kernel[1], masked),
    );
    return dx;
  }
  launchPlanes('max_pool2d_bwd', () => maxBackwardWgsl, {}, buffers, g.N * g.C, g.H * g.W, (u) => geometryUniforms(g)(u).u32(masked));
  return dx;
}

export function avgPoolForward(x: Tensor, g: PoolGeometry): Tensor {
  const y = new Tensor([g.N, g.C, g.OH, g.OW]);
  const key = g.adaptive ? 'adaptive_avg_pool2d' : 'avg_pool2d';
  launchPlanes(key, () => `${avgWindowWgsl}\n${avgWgsl}`, { ADAPTIVE: g.adaptive ? 1 : 0 }, [x.buffer, y.buffer], g.N * g.C, g.OH * g.OW, geometryUniforms(g));
  return y;
}

export function avgPoolBackward(gy: Tensor, g: PoolGeometry): Tensor {
  const dx = new Tensor([g.N, g.C, g.H, g.W]);
  const key = g.adaptive ? 'adaptive_avg_pool2d_bwd' : 'avg_pool2d_bwd';
  launchPlanes(key, () => `${avgWindowWgsl}\n${avgBackwardWgsl}`, { ADAPTIVE: g.adaptive ? 1 : 0 }, [gy.buffer, dx.buffer], g.N * g.C, g.H * g.W, geometryUniforms(g));
  return dx;
}
