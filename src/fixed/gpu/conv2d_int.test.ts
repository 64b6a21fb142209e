import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../../testing/gpu';
import { conv2dIntCpu, conv2dIntOutputShape } from '../cpu/conv2d_int';
import type { ActDType, Conv2dOpSpec } from '../ops';
import { makeRequantParams, makeRescaleParams, type RequantMode } from '../requant';
import { paddingLanes, randomInts, seeded } from '../testing';
import { fromDevice, toDevice } from './transfer';
import { INT_RANGE, type IntDType } from '../types';
import { conv2dIntGpu, prepareConv2d, type Conv2dKernel } from './conv2d_int';
import { detectIntegerDot, forceIntegerDot, type IntegerDot } from './shaders';

let available: IntegerDot;

beforeAll(async () => {
  await getTestDevice();
  available = await detectIntegerDot();
});

afterEach(() => forceIntegerDot(null));

interface Case {
  name: string;
  n?: number;
  c: number;
  h: number;
  w: number;
  o: number;
  k: [number, number];
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  groups?: number;
  xDtype?: ActDType;
  wDtype?: 'int8' | 'int16';
  outDtype?: IntDType;
  wzp?: boolean;
  relu?: boolean;
  residual?: ActDType;
  perTensor?: boolean;
}

function makeSpec(c: Case, mode: RequantMode, seed: number): { spec: Conv2dOpSpec; x: Int32Array; r: Int32Array | undefined } {
  const rand = seeded(seed);
  const n = c.n ?? 2;
  const groups = c.groups ?? 1;
  const xDtype = c.xDtype ?? 'int8';
  const wDtype = c.wDtype ?? 'int8';
  const outDtype = c.outDtype ?? 'int8';
  const [xlo, xhi] = INT_RANGE[xDtype];
  const [wlo, whi] = INT_RANGE[wDtype];
  const xZeroPoint = xDtype === 'int8' ? -9 : 300;
  const wShape = [c.o, c.c / groups, c.k[0], c.k[1]] as const;
  const weight = randomInts(rand, wShape[0] * wShape[1] * wShape[2] * wShape[3], wlo, whi);
  const bias = randomInts(rand, c.o, -20000, 20000);
  const wZeroPoint = c.wzp ? Array.from(randomInts(rand, c.o, -5, 5)) : [0];
  const fan = wShape[1] * c.k[0] * c.k[1];
  const sx = 0.02;
  const sy = xDtype === 'int8' ? 0.05 : 0.0005;
  const weightScales = c.perTensor ? [0.004 / Math.sqrt(fan)] : Array.from({ length: c.o }, (_, i) => (0.002 + 0.001 * (i % 5)) / Math.sqrt(fan));
  const yq = outDtype === 'int16' ? { zp: 17, range: INT_RANGE.int16 } : { zp: 5, range: INT_RANGE.int8 };
  const spec: Conv2dOpSpec = {
    mode,
    xShape: [n, c.c, c.h, c.w],
    xZeroPoint,
    xDtype,
    weight: wDtype === 'int8' ? Int8Array.from(weight) : Int16Array.from(weight),
    wShape,
    wDtype,
    wZeroPoint,
    bias: Int32Array.from(bias),
    geometry: { stride: c.stride ?? [1, 1], padding: c.padding ?? [0, 0], dilation: c.dilation ?? [1, 1], groups },
    requant: outDtype === 'int32' ? null : makeRequantParams(sx, weightScales, sy * (wDtype === 'int16' ? 200 : 1)),
    outDtype,
    yZeroPoint: outDtype === 'int32' ? 0 : yq.zp,
    clamp: outDtype === 'int32' ? [INT_RANGE.int32[0], INT_RANGE.int32[1]] : [c.relu ? yq.zp : yq.range[0], yq.range[1]],
  };
  const x = randomInts(rand, n * c.c * c.h * c.w, xlo, xhi);
  let r: Int32Array | undefined;
  if (c.residual) {
    const [, o, ho, wo] = conv2dIntOutputShape({ ...spec, x });
    spec.residual = { dtype: c.residual, zeroPoint: -3, requant: makeRescaleParams([0.7]) };
    const [rlo, rhi] = INT_RANGE[c.residual];
    r = randomInts(rand, n * o * ho * wo, rlo, rhi);
  }
  return { spec, x, r };
}

const cases: Case[] = [
  { name: '3x3 pad 1, 5 channels to 6', c: 5, h: 6, w: 7, o: 6, k: [3, 3], padding: [1, 1] },
  { name: '1 input channel (reference CNN conv1), relu', c: 1, h: 8, w: 8, o: 16, k: [3, 3], padding: [1, 1], relu: true },
  { name: 'stride 2, no padding, 3 output channels', c: 4, h: 9, w: 7, o: 3, k: [3, 3], stride: [2, 2] },
  { name: 'dilation 2, asymmetric kernel and padding', c: 8, h: 9, w: 10, o: 8, k: [3, 2], padding: [2, 1], dilation: [2, 2] },
  { name: 'weight zero points', c: 6, h: 5, w: 5, o: 5, k: [3, 3], padding: [1, 1], wzp: true },
  { name: 'int32 high-precision output', c: 7, h: 4, w: 4, o: 10, k: [3, 3], padding: [1, 1], outDtype: 'int32' },
  { name: 'int16 output', c: 4, h: 5, w: 5, o: 4, k: [3, 3], padding: [1, 1], outDtype: 'int16' },
  { name: 'fused residual add (int8), relu', c: 4, h: 5, w: 6, o: 6, k: [3, 3], padding: [1, 1], residual: 'int8', relu: true },
  { name: 'per-tensor weight scale, 1x1 (linear-like)', n: 3, c: 40, h: 1, w: 1, o: 10, k: [1, 1], perTensor: true },
  { name: 'linear on a batch of 9 (tile along the batch), residual', n: 9, c: 24, h: 1, w: 1, o: 7, k: [1, 1], residual: 'int8' },
  { name: 'linear with weight zero points, int32 out', n: 6, c: 13, h: 1, w: 1, o: 5, k: [1, 1], wzp: true, outDtype: 'int32' },
  { name: '1x1 stride 2 on a 1x1 image', n: 5, c: 8, h: 1, w: 1, o: 4, k: [1, 1], stride: [2, 2] },
  // Dense tiles (conv2d_int8_tiled.ts): a row of 19 is two segments of 10 (the second short), 5 rows
  // are two row blocks and a half, 19 channels leave 3 lanes in the last word, 3 output words in tiles of 2.
  { name: 'tile edges: row of 19, 5 rows, 19 channels to 10, wzp', n: 1, c: 19, h: 5, w: 19, o: 10, k: [3, 3], padding: [1, 1], wzp: true },
  // 118 channels × 9 taps = 1062 products per output: past the 2^10 terms an f32 sum holds exactly, so
  // the dense kernel converts each word column's sum (the unrolled form) instead of one sum at the end.
  { name: 'many channels: 1062 products per output, 3x3', n: 1, c: 118, h: 3, w: 5, o: 4, k: [3, 3], padding: [1, 1], wzp: true },
];

const generalCases: Case[] = [
  { name: 'depthwise 3x3', c: 6, h: 6, w: 6, o: 6, k: [3, 3], padding: [1, 1], groups: 6 },
  { name: 'groups 2 with channel multiplier', c: 6, h: 5, w: 5, o: 10, k: [3, 3], padding: [1, 1], groups: 2, stride: [2, 1] },
  { name: 'int16 activations, int8 weights', c: 5, h: 5, w: 5, o: 6, k: [3, 3], padding: [1, 1], xDtype: 'int16', outDtype: 'int16' },
  { name: 'int16 activations and weights, wzp', c: 3, h: 4, w: 5, o: 4, k: [2, 2], xDtype: 'int16', wDtype: 'int16', outDtype: 'int16', wzp: true },
  { name: 'int16 residual on int16 output', c: 4, h: 4, w: 4, o: 5, k: [3, 3], padding: [1, 1], xDtype: 'int16', outDtype: 'int16', residual: 'int16' },
];

async function check(c: Case, mode: RequantMode, kernel: Conv2dKernel, seed: number): Promise<void> {
  const { spec, x, r } = makeSpec(c, mode, seed);
  const expected = conv2dIntCpu(spec, x, r);
  const prepared = prepareConv2d(spec, { kernel });
  const xt = toDevice(x, spec.xShape, spec.xDtype ?? 'int8', spec.xZeroPoint);
  const outShape = conv2dIntOutputShape({ ...spec, x });
  const rt = r && spec.residual ? toDevice(r, outShape, spec.residual.dtype, spec.residual.zeroPoint) : undefined;
  const y = conv2dIntGpu(prepared, xt, rt);
  const got = await fromDevice(y, outShape);
  let diffs = 0;
  for (let i = 0; i < got.length; i++) if (got[i] !== expected[i]) diffs++;
  expect(diffs, `${c.name} (${mode}, ${kernel}): ${diffs} of ${got.length} differ`).toBe(0);
  // padded output channels hold the output zero point
  const pad = await paddingLanes(y, spec.wShape[0]);
  expect(pad.every((v) => v === spec.yZeroPoint)).toBe(true);
  // the check can fail: the reference is not trivially constant
  expect(new Set(expected).size).toBeGreaterThan(2);
  for (const t of [xt, y, rt]) t?.dispose();
  prepared.dispose();
}

describe('conv2d_int on WebGPU matches the CPU reference bit for bit', () => {
  it('reports which dot product the adapter has', () => {
    console.log(`integer dot product on this adapter: ${available}`);
    expect(['packed', 'unpacked']).toContain(available);
  });

  for (const mode of ['float', 'multiplier'] as const) {
    for (const dot of ['packed', 'unpacked'] as const) {
      cases.forEach((c, k) => {
        it(`dense ${dot}, ${mode}: ${c.name}`, async () => {
          if (dot === 'packed' && available !== 'packed') {
            throw new Error('this adapter has no packed_4x8_integer_dot_product: the packed path cannot be tested here');
          }
          forceIntegerDot(dot);
          await check(c, mode, 'dense', 100 + k);
        });
      });
    }
    [...cases, ...generalCases].forEach((c, k) => {
      if (c.xDtype === 'int16' && mode === 'float' && c.wDtype === 'int16') return;
      it(`general, ${mode}: ${c.name}`, async () => {
        await check(c, mode, 'general', 200 + k);
      });
    });
  }
});
