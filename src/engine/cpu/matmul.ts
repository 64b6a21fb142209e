/**
 * CPU reference of batched matmul (the living definition the WGSL kernel is tested against). Row-major
 * operands, batch dimensions broadcast as in torch.matmul; accumulation in float64.
 */
import { broadcastShapes, contiguousStrides } from './shape';

export interface CpuTensor {
  data: Float32Array;
  shape: number[];
}

export function matmulCpu(
  a: CpuTensor,
  b: CpuTensor,
  options: { transA?: boolean; transB?: boolean; bias?: Float32Array | null } = {},
): CpuTensor {
  const { transA = false, transB = false, bias = null } = options;
  const ar = a.shape.length;
  const br = b.shape.length;
  const [M, K] = transA ? [a.shape[ar - 1]!, a.shape[ar - 2]!] : [a.shape[ar - 2]!, a.shape[ar - 1]!];
  const [Kb, N] = transB ? [b.shape[br - 1]!, b.shape[br - 2]!] : [b.shape[br - 2]!, b.shape[br - 1]!];
  if (K !== Kb) throw new Error(`matmulCpu: inner sizes ${K} and ${Kb}`);
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batchCount = batch.reduce((x, y) => x * y, 1);
  const out = new Float32Array(batchCount * M * N);
  const batchStrides = contiguousStrides(batch);
  const offsetOf = (shape: number[], z: number) => {
    const own = shape.slice(0, -2);
    const ownStrides = contiguousStrides(own);
    let off = 0;
    for (let d = 0; d < batch.length; d++) {
      const coord = Math.floor(z / batchStrides[d]!) % batch[d]!;
      const k = own.length - batch.length + d;
      if (k >= 0 && own[k] !== 1) off += coord * ownStrides[k]!;
    }
    return off * shape[shape.length - 1]! * shape[shape.length - 2]!;
  };
  for (let z = 0; z < batchCount; z++) {
    const ao = offsetOf(a.shape, z);
    const bo = offsetOf(b.shape, z);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = a.data[ao + (transA ? k * M + m : m * K + k)]!;
          const bv = b.data[bo + (transB ? n * K + k : k * N + n)]!;
          s += av * bv;
        }
        out[z * M * N + m * N + n] = s + (bias ? bias[n]! : 0);
      }
    }
  }
  return { data: out, shape: [...batch, M, N] };
}
