import { describe, expect, it } from 'vitest';
import { compareToReference } from './compare';
import type { IntValueInfo } from './model';

const info: IntValueInfo = { name: 'conv1', shape: [2, 1, 2], dtype: 'int8', scale: [0.5], zeroPoint: 3 };

describe('compareToReference', () => {
  it('is exact when the reference is the dequantized fixed-point value', () => {
    const fixed = [3, 4, 5, 1];
    const r = compareToReference(fixed, [0, 0.5, 1, -1], info);
    expect(r).toEqual({ maxLsb: 0, meanAbsLsb: 0, sqnrDb: Infinity, count: 4 });
  });

  it('counts LSB with per-channel scales and gives the SQNR', () => {
    const perChannel: IntValueInfo = { ...info, scale: [0.5, 0.25], zeroPoint: 0 };
    // channel 0 off by one step of 0.5, channel 1 off by two steps of 0.25
    const r = compareToReference([2, 2, 4, 4], [1.5, 1, 1.5, 1], perChannel);
    expect(r.maxLsb).toBe(2);
    expect(r.meanAbsLsb).toBe(0.75);
    expect(r.sqnrDb).toBeCloseTo(10 * Math.log10((1.5 ** 2 + 1 + 1.5 ** 2 + 1) / (0.25 + 0.25)), 10);
  });

  it('names the layer when lengths differ', () => {
    expect(() => compareToReference([1], [1, 2], info)).toThrow(/compare "conv1": 1 fixed-point values, 2 reference values/);
  });
});
