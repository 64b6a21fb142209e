/** CPU references of permute and cat. */
import { contiguousStrides, numel } from './shape';

export function permuteCpu(x: Float32Array, shape: readonly number[], dims: readonly number[]): { y: Float32Array; shape: number[] } {
  const outShape = dims.map((d) => shape[d]!);
  const inStrides = contiguousStrides(shape);
  const outStrides = contiguousStrides(outShape);
  const y = new Float32Array(x.length);
  for (let i = 0; i < y.length; i++) {
    let src = 0;
    for (let d = 0; d < outShape.length; d++) src += (Math.floor(i / outStrides[d]!) % outShape[d]!) * inStrides[dims[d]!]!;
    y[i] = x[src]!;
  }
  return { y, shape: outShape };
}

export function catCpu(xs: readonly { data: Float32Array; shape: readonly number[] }[], dim: number): { y: Float32Array; shape: number[] } {
  const shape = [...xs[0]!.shape];
  shape[dim] = xs.reduce((s, x) => s + x.shape[dim]!, 0);
  const y = new Float32Array(numel(shape));
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  let k = 0;
  for (let o = 0; o < outer; o++) {
    for (const x of xs) {
      const len = x.shape[dim]! * inner;
      y.set(x.data.subarray(o * len, (o + 1) * len), k);
      k += len;
    }
  }
  return { y, shape };
}
