import { beforeAll, describe, it } from 'vitest';
import { getTestDevice } from '../../testing/gpu';
import { failOnGpuErrors } from '../testing/errors';
import { Tensor } from '../tensor';
import { matmulKernel } from './matmul';
import { matmulCpu } from '../cpu/matmul';
import { expectTensorClose, testData } from '../testing/compare';
import { setTileOverride } from './tiles';

beforeAll(async () => {
  await getTestDevice();
});

failOnGpuErrors();

const TOL = { atol: 1e-5, rtol: 1e-4 };

describe('matmul kernel', () => {
  const cases: { a: number[]; b: number[]; transA?: boolean; transB?: boolean; bias?: boolean }[] = [
    { a: [5, 7], b: [7, 3] },
    { a: [33, 17], b: [17, 21], bias: true },
    { a: [7, 5], b: [7, 3], transA: true },
    { a: [5, 7], b: [3, 7], transB: true, bias: true },
    { a: [2, 3, 9, 4], b: [4, 6] },
    { a: [3, 1, 9, 4], b: [2, 4, 6] },
    { a: [4, 10, 3], b: [4, 3, 10], transA: true, transB: true },
  ];
  for (const tile of [null, { TM: 1, TN: 1, U: 1 }, { TM: 4, TN: 8, U: 3 }]) {
    for (const c of cases) {
      it(`[${c.a}]${c.transA ? 'ᵀ' : ''} × [${c.b}]${c.transB ? 'ᵀ' : ''}${c.bias ? ' + bias' : ''} tile ${tile ? `${tile.TM}x${tile.TN}u${tile.U}` : 'auto'}`, async () => {
        setTileOverride('matmul', tile);
        try {
          const ad = testData(c.a.reduce((x, y) => x * y), 3);
          const bd = testData(c.b.reduce((x, y) => x * y), 5);
          const N = c.transB ? c.b[c.b.length - 2]! : c.b[c.b.length - 1]!;
          const biasData = c.bias ? testData(N, 9) : null;
          const a = Tensor.fromArray(ad, c.a);
          const b = Tensor.fromArray(bd, c.b);
          const bias = biasData ? Tensor.fromArray(biasData, [N]) : null;
          const out = matmulKernel(a, b, { transA: c.transA, transB: c.transB, bias });
          const ref = matmulCpu({ data: ad, shape: c.a }, { data: bd, shape: c.b }, { transA: c.transA, transB: c.transB, bias: biasData });
          await expectTensorClose(out, ref.data, TOL, 'matmul');
          for (const t of [a, b, out, bias]) t?.dispose();
        } finally {
          setTileOverride('matmul', null);
        }
      });
    }
  }
});
