/**
 * CPU references of the elementwise ops (with PyTorch broadcasting) and of reducing a broadcast gradient
 * back to an operand's shape.
 */
import { broadcastShapes, contiguousStrides, numel } from './shape';

export function broadcastBinaryCpu(
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  op: (x: number, y: number) => number,
): { y: Float32Array; shape: number[] } {
  const shape = broadcastShapes(aShape, bShape);
  const out = new Float32Array(numel(shape));
  const outStrides = contiguousStrides(shape);
  const index = (own: readonly number[], flat: number) => {
    const strides = contiguousStrides(own);
    let i = 0;
    for (let d = 0; d < shape.length; d++) {
      const coord = Math.floor(flat / outStrides[d]!) % shape[d]!;
      const k = own.length - shape.length + d;
      if (k >= 0 && own[k] !== 1) i += coord * strides[k]!;
    }
    return i;
  };
  for (let i = 0; i < out.length; i++) out[i] = op(a[index(aShape, i)]!, b[index(bShape, i)]!);
  return { y: out, shape };
}

/** Sums g (shaped `from`) over the dimensions broadcast from `to`. */
export function sumToShapeCpu(g: Float32Array, from: readonly number[], to: readonly number[]): Float32Array {
  const out = new Float64Array(numel(to));
  const fromStrides = contiguousStrides(from);
  const toStrides = contiguousStrides(to);
  for (let i = 0; i < g.length; i++) {
    let j = 0;
    for (let d = 0; d < from.length; d++) {
      const coord = Math.floor(i / fromStrides[d]!) % from[d]!;
      const k = to.length - from.length + d;
      if (k >= 0 && to[k] !== 1) j += coord * toStrides[k]!;
    }
    out[j] += g[i]!;
  }
  return Float32Array.from(out);
}

export const reluCpu = (x: Float32Array) => x.map((v) => Math.max(v, 0));
export const relu6Cpu = (x: Float32Array) => x.map((v) => Math.min(Math.max(v, 0), 6));
/** threshold_backward on the output: gy where y > 0. */
export const reluBackwardCpu = (gy: Float32Array, y: Float32Array) => gy.map((g, i) => (y[i]! > 0 ? g : 0));
/** hardtanh_backward on the input: gy where 0 < x < 6. */
export const relu6BackwardCpu = (gy: Float32Array, x: Float32Array) => gy.map((g, i) => (x[i]! > 0 && x[i]! < 6 ? g : 0));
