import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../../testing/gpu';
import { concatCpu } from '../cpu/concat';
import { deviceToNchw, nchwToDevice } from '../layout';
import type { ConcatOpSpec } from '../ops';
import { INT_RANGE } from '../types';
import { Tensor } from '../../engine/tensor';
import { paddingLanes, randomInts, seeded } from '../testing';
import { concatGpu } from './concat';

beforeAll(async () => {
  await getTestDevice();
});

describe('integer concat matches the CPU reference', () => {
  const cases: { name: string; channels: number[]; h: number; w: number }[] = [
    { name: '3 + 5 channels (lanes cross words)', channels: [3, 5], h: 4, w: 3 },
    { name: '6 + 2 + 7 channels (chained)', channels: [6, 2, 7], h: 2, w: 5 },
    { name: '4 + 8 on [N, C] (1×1)', channels: [4, 8], h: 1, w: 1 },
  ];
  for (const dtype of ['int8', 'int16'] as const) {
    for (const c of cases) {
      it(`${c.name}, ${dtype}`, async () => {
        const rand = seeded(3);
        const n = 2;
        const zp = dtype === 'int8' ? -7 : 100;
        const spec: ConcatOpSpec = { shapes: c.channels.map((ch) => [n, ch, c.h, c.w] as const), dtype, zeroPoint: zp };
        const xs = spec.shapes.map((s) => randomInts(rand, s[0] * s[1] * s[2] * s[3], ...INT_RANGE[dtype]));
        const expected = concatCpu(spec, xs);
        const total = c.channels.reduce((a, b) => a + b, 0);
        expect(Array.from(expected.subarray(0, c.channels[0] * c.h * c.w))).toEqual(Array.from(xs[0].subarray(0, c.channels[0] * c.h * c.w)));
        const tensors = spec.shapes.map((s, k) => {
          const words = nchwToDevice(xs[k], s, zp);
          return Tensor.fromArray(words, [n, c.h, c.w, words.length / (n * c.h * c.w)], dtype);
        });
        const y = concatGpu(spec, tensors);
        const got = deviceToNchw(Int32Array.from(await y.read()), [n, total, c.h, c.w]);
        expect(Array.from(got)).toEqual(Array.from(expected));
        expect((await paddingLanes(y, total)).every((v) => v === zp)).toBe(true);
        for (const t of [...tensors, y]) t.dispose();
      });
    }
  }
});
