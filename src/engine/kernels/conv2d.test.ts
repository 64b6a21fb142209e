import { beforeAll, describe, expect, it } from 'vitest';
import { setDispatchRecorder } from '../commands';
import { getTestDevice } from '../../testing/gpu';
import { failOnGpuErrors } from '../testing/errors';
import { Tensor } from '../tensor';
import { channelSums, conv2dForward, conv2dGeometry, conv2dInputGrad, conv2dWeightGrad, type Conv2dParams } from './conv2d';
import { conv2dBackwardCpu, conv2dCpu } from '../cpu/conv2d';
import { expectTensorClose, testData } from '../testing/compare';
import { setConvPath, setRowTileOverride, setTileOverride } from './tiles';

beforeAll(async () => {
  await getTestDevice();
});

failOnGpuErrors();

// float32 sums of up to a few hundred products of values in [-1, 1]: the order of additions differs
// between the GPU tiles and the float64 reference.
const TOL = { atol: 1e-4, rtol: 1e-4 };

interface Case {
  name: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  p: Conv2dParams;
}

const P = (stride: number | [number, number], padding: number | [number, number], dilation: number | [number, number], groups: number): Conv2dParams => ({
  stride: typeof stride === 'number' ? [stride, stride] : stride,
  padding: typeof padding === 'number' ? [padding, padding] : padding,
  dilation: typeof dilation === 'number' ? [dilation, dilation] : dilation,
  groups,
});

const cases: Case[] = [
  { name: 'even widths (vec2 weight-gradient kernel), pad 1', x: [2, 3, 6, 8], w: [4, 3, 3, 3], p: P(1, 1, 1, 1) },
  { name: 'even widths, pad 2, 5x5 kernel', x: [1, 2, 8, 10], w: [3, 2, 5, 5], p: P(1, 2, 1, 1) },
  { name: 'even widths, no padding', x: [2, 2, 6, 6], w: [2, 2, 3, 3], p: P(1, 0, 1, 1) },
  { name: '3x3 pad 1 (reference CNN conv2, small)', x: [2, 4, 7, 7], w: [6, 4, 3, 3], p: P(1, 1, 1, 1) },
  { name: '1 input channel (conv1)', x: [3, 1, 6, 5], w: [5, 1, 3, 3], p: P(1, 1, 1, 1) },
  { name: 'stride 2, no padding, 1x1 and rectangular input', x: [2, 3, 9, 6], w: [4, 3, 1, 1], p: P(2, 0, 1, 1) },
  { name: 'stride (2, 1), padding (1, 2), 3x2 kernel', x: [2, 3, 8, 7], w: [5, 3, 3, 2], p: P([2, 1], [1, 2], 1, 1) },
  { name: 'dilation 2', x: [1, 2, 9, 9], w: [3, 2, 3, 3], p: P(1, 2, 2, 1) },
  { name: 'groups 2', x: [2, 4, 6, 6], w: [6, 2, 3, 3], p: P(1, 1, 1, 2) },
  { name: 'depthwise 3x3 stride 2', x: [2, 5, 8, 8], w: [5, 1, 3, 3], p: P(2, 1, 1, 5) },
  { name: 'depthwise with multiplier 2', x: [1, 3, 5, 5], w: [6, 1, 3, 3], p: P(1, 1, 1, 3) },
];

/**
 * Kernel paths and tile sizes, each over the cases it is meant for (pipelines are compiled per tile and
 * geometry, and compiling is the slow part of this file on a software adapter).
 */
const variants: { name: string; setup: () => void; only?: string[] }[] = [
  { name: 'auto (row kernels where stride and dilation are 1)', setup: () => {} },
  {
    name: 'row kernels, small odd tiles 3x2 / dw 2x1u3',
    setup: () => (setRowTileOverride('fwd', { TM: 3, TN: 2 }), setRowTileOverride('dw', { TM: 2, TC: 1, U: 3 })),
    only: ['even widths (vec2 weight-gradient kernel), pad 1', '3x3 pad 1 (reference CNN conv2, small)', 'groups 2', 'depthwise with multiplier 2'],
  },
  {
    name: 'row kernels, 3 rows of 4x3 / dw 3x2u2',
    setup: () => (setRowTileOverride('fwd', { TR: 3, TM: 4, TN: 3 }), setRowTileOverride('dw', { TM: 3, TC: 2, U: 2 })),
    only: ['even widths, pad 2, 5x5 kernel', '1 input channel (conv1)', 'groups 2'],
  },
  {
    name: 'row kernels wider than the rows, 10x4 / dw 4x2u10',
    setup: () => (setRowTileOverride('fwd', { TM: 10, TN: 4 }), setRowTileOverride('dw', { TM: 4, TC: 2, U: 10 })),
    only: ['3x3 pad 1 (reference CNN conv2, small)'],
  },
  { name: 'implicit GEMM, auto tile', setup: () => setConvPath('gemm'), only: ['3x3 pad 1 (reference CNN conv2, small)', 'even widths, no padding', 'depthwise with multiplier 2'] },
  ...[{ TM: 1, TN: 1, U: 1 }, { TM: 4, TN: 2, U: 3 }].map((tile) => ({
    name: `implicit GEMM, tile ${tile.TM}x${tile.TN}u${tile.U}`,
    setup: () => {
      setConvPath('gemm');
      for (const kind of ['conv_fwd', 'conv_dx', 'conv_dw'] as const) setTileOverride(kind, tile);
    },
    only: ['stride (2, 1), padding (1, 2), 3x2 kernel', 'dilation 2', 'depthwise 3x3 stride 2'],
  })),
];

function resetVariants(): void {
  setConvPath('auto');
  setRowTileOverride('fwd', null);
  setRowTileOverride('dw', null);
  for (const kind of ['conv_fwd', 'conv_dx', 'conv_dw'] as const) setTileOverride(kind, null);
}

describe('conv2d kernels match the CPU reference', () => {
  for (const variant of variants) {
    for (const c of cases.filter((k) => !variant.only || variant.only.includes(k.name))) {
      it(`${c.name} — ${variant.name}`, async () => {
        variant.setup();
        try {
          const xd = testData(c.x.reduce((a, b) => a * b), 11);
          const wd = testData(c.w.reduce((a, b) => a * b), 12);
          const bd = testData(c.w[0], 13);
          const ref = conv2dCpu(xd, c.x, wd, c.w, bd, c.p);
          const gyd = testData(ref.y.length, 14);
          const grads = conv2dBackwardCpu(gyd, xd, c.x, wd, c.w, c.p);
          const x = Tensor.fromArray(xd, c.x);
          const w = Tensor.fromArray(wd, c.w);
          const b = Tensor.fromArray(bd, [c.w[0]]);
          const g = conv2dGeometry(c.x, c.w, c.p);
          const y = conv2dForward(x, w, b, g);
          await expectTensorClose(y, ref.y, TOL, 'forward');
          const gy = Tensor.fromArray(gyd, ref.shape);
          const dx = conv2dInputGrad(gy, w, g);
          await expectTensorClose(dx, grads.dx, TOL, 'input grad');
          const dw = conv2dWeightGrad(gy, x, g);
          await expectTensorClose(dw, grads.dw, TOL, 'weight grad');
          const db = channelSums(gy);
          await expectTensorClose(db, grads.db, TOL, 'bias grad');
          for (const t of [x, w, b, y, gy, dx, dw, db]) t.dispose();
        } finally {
          resetVariants();
        }
      });
    }
  }
});

describe('row-kernel forward without a bias', () => {
  it('runs the bias pipeline with zeros: the same bits as an explicit zero bias, one pipeline for both', async () => {
    const shape: [number, number, number, number] = [2, 3, 6, 8];
    const wShape: [number, number, number, number] = [5, 3, 3, 3];
    const x = Tensor.fromArray(testData(2 * 3 * 6 * 8, 21), shape);
    const w = Tensor.fromArray(testData(5 * 27, 22), wShape);
    const g = conv2dGeometry(shape, wShape, P(1, 1, 1, 1));
    const labels: string[] = [];
    setDispatchRecorder((d) => labels.push(d.pipeline.label));
    const none = conv2dForward(x, w, null, g);
    const zeros = conv2dForward(x, w, Tensor.zeros([5]), g);
    setDispatchRecorder(null);
    expect(labels.filter((l) => l.startsWith('conv2d_rows_fwd'))).toHaveLength(2);
    expect(new Set(labels.filter((l) => l.startsWith('conv2d_rows_fwd'))).size).toBe(1);
    expect(labels[0]).toContain(':bias');
    const a = new Uint32Array((await none.read()).buffer);
    const b = new Uint32Array((await zeros.read()).buffer);
    expect(Array.from(a)).toEqual(Array.from(b));
    const ref = conv2dCpu(testData(2 * 3 * 6 * 8, 21), shape, testData(5 * 27, 22), wShape, null, P(1, 1, 1, 1));
    await expectTensorClose(none, ref.y, TOL, 'forward without bias');
  });
});
