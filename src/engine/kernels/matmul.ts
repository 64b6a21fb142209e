/**
 * Batched matrix multiply on the GEMM generator: C[..., M, N] = op(A)[..., M, K] · op(B)[..., K, N], with
 * either operand transposed (read through strides, never copied), batch dimensions broadcast, and an
 * optional bias over N fused into the store (linear).
 */
import { Tensor, numelOf, type Shape } from '../tensor';
import { runGemm, type GemmProgram } from './gemm';
import { chooseTile } from './tiles';
import { broadcastShapes, contiguousStrides } from './elementwise';

function program(hasBias: boolean): GemmProgram {
  return {
    name: hasBias ? 'matmul_bias' : 'matmul',
    params: [
      ['K', 'u32'],
      ['sAm', 'u32'],
      ['sAk', 'u32'],
      ['sBk', 'u32'],
      ['sBn', 'u32'],
      ['Z1', 'u32'],
      ['Z2', 'u32'],
      ['aZ0', 'u32'],
      ['aZ1', 'u32'],
      ['aZ2', 'u32'],
      ['bZ0', 'u32'],
      ['bZ1', 'u32'],
      ['bZ2', 'u32'],
    ],
    bindings: [
      '@group(0) @binding(0) var<storage, read> A: array<f32>;',
      '@group(0) @binding(1) var<storage, read> B: array<f32>;',
      '@group(0) @binding(2) var<storage, read_write> C: array<f32>;',
      hasBias ? '@group(0) @binding(3) var<storage, read> bias: array<f32>;' : '',
    ].join('\n'),
    bindingCount: hasBias ? 4 : 3,
    setup: [
      'let z2 = z % P.Z2;',
      'let z1 = (z / P.Z2) % P.Z1;',
      'let z0 = z / (P.Z2 * P.Z1);',
      'let aBase = z0 * P.aZ0 + z1 * P.aZ1 + z2 * P.aZ2;',
      'let bBase = z0 * P.bZ0 + z1 * P.bZ1 + z2 * P.bZ2;',
      'let cBase = z * P.M * P.N;',
    ].join('\n'),
    row: (i) => `let ra_${i} = aBase + mi_${i} * P.sAm;`,
    col: (j) => `let cb_${j} = bBase + nj_${j} * P.sBn;`,
    kStart: '0u',
    kEnd: 'P.K',
    kStep: (s) => `let ka_${s} = k_${s} * P.sAk;\nlet kb_${s} = k_${s} * P.sBk;`,
    loadA: (i, s) => `A[ra_${i} + ka_${s}]`,
    loadB: (j, s) => `B[cb_${j} + kb_${s}]`,
    store: (i, j, acc) => `C[cBase + (m0 + ${i}u) * P.N + n0 + ${j}u] = ${acc}${hasBias ? ` + bias[n0 + ${j}u]` : ''};`,
  };
}

const PROGRAMS = { plain: program(false), bias: program(true) };

export interface MatmulOptions {
  /** A is stored [..., K, M]. */
  transA?: boolean;
  /** B is stored [..., N, K]. */
  transB?: boolean;
  /** Added to every row of the result: shape [N]. */
  bias?: Tensor | null;
  /** The result's shape when it should not be [...batch, M, N] (same element count). */
  outShape?: Shape;
}

const MAX_BATCH_RANK = 3;

/** The result shape of a batched matmul, or an error naming both operands. */
export function matmulShape(a: Shape, b: Shape, transA = false, transB = false): { batch: number[]; M: number; K: number; N: number } {
  if (a.length < 2 || b.length < 2) throw new Error(`matmul: operands need rank ≥ 2, got [${a.join(', ')}] and [${b.join(', ')}]`);
  const [M, Ka] = transA ? [a[a.length - 1]!, a[a.length - 2]!] : [a[a.length - 2]!, a[a.length - 1]!];
  const [Kb, N] = transB ? [b[b.length - 1]!, b[b.length - 2]!] : [b[b.length - 2]!, b[b.length - 1]!];
  if (Ka !== Kb) throw new Error(`matmul: [${a.join(', ')}] and [${b.join(', ')}] do not chain (inner sizes ${Ka} and ${Kb})`);
  const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2), 'matmul batch');
  if (batch.length > MAX_BATCH_RANK) throw new Error(`matmul: ${batch.length} batch dimensions, at most ${MAX_BATCH_RANK} supported`);
  return { batch, M, K: Ka, N };
}

/** Batch strides of an operand for a (right-aligned, padded to 3) output batch shape; 0 where broadcast. */
function batchStrides(shape: Shape, batch: readonly number[]): number[] {
  const strides = contiguousStrides(shape);
  const rank = shape.length - 2;
  const out = [0, 0, 0];
  for (let d = 0; d < batch.length; d++) {
    const k = rank - batch.length + d;
    const slot = MAX_BATCH_RANK - batch.length + d;
    out[slot] = k >= 0 && shape[k] !== 1 ? strides[k]! : 0;
  }
  return out;
}

export function matmulKernel(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  a.assertLive('matmul');
  b.assertLive('matmul');
  const { transA = false, transB = false, bias = null } = options;
  const { batch, M, K, N } = matmulShape(a.shape, b.shape, transA, transB);
  if (bias && bias.numel !== N) throw new Error(`matmul: bias of ${bias.numel} values for ${N} output columns`);
  const shape = options.outShape ?? [...batch, M, N];
  if (numelOf(shape) !== numelOf(batch) * M * N) throw new Error(`matmul: output shape [${shape.join(', ')}] does not hold [${[...batch, M, N].join(', ')}]`);
  const out = new Tensor(shape);
  const padded = [...new Array<number>(MAX_BATCH_RANK - batch.length).fill(1), ...batch];
  const [aZ0, aZ1, aZ2] = batchStrides(a.shape, batch);
  const [bZ0, bZ1, bZ2] = batchStrides(b.shape, batch);
  const Z = padded[0]! * padded[1]! * padded[2]!;
  const program = bias ? PROGRAMS.bias : PROGRAMS.plain;
  const buffers = bias ? [a.buffer, b.buffer, out.buffer, bias.buffer] : [a.buffer, b.buffer, out.buffer];
  if (K === 0) throw new Error('matmul: an inner size of 0 is not supported');
  runGemm(program, chooseTile('matmul', M, N), { M, N, Z }, buffers, {
    K,
    sAm: transA ? 1 : K,
    sAk: transA ? M : 1,
    sBk: transB ? 1 : N,
    sBn: transB ? K : 1,
    Z1: padded[1]!,
    Z2: padded[2]!,
    aZ0: aZ0!,
    aZ1: aZ1!,
    aZ2: aZ2!,
    bZ0: bZ0!,
    bZ1: bZ1!,
    bZ2: bZ2!,
  });
  return out;
}
