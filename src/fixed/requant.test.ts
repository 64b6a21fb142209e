import { describe, expect, it } from 'vitest';
import {
  makeRequantParams,
  multiplyByFloatScale,
  multiplyByQuantizedMultiplier,
  qnnpackRequantScale,
  quantizeBias,
  quantizeMultiplier,
  roundHalfEven,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from './requant';

/** gemmlowp's definitions written with 64-bit integers (BigInt), to check the double-based versions. */
function srdhmBig(a: number, b: number): number {
  if (a === -2147483648 && b === -2147483648) return 2147483647;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates toward zero, like C++
}

function rdpotBig(x: number, e: number): number {
  if (e === 0) return x;
  const p = 2 ** e;
  const q = Math.trunc(x / p);
  const r = x - q * p; // sign of x
  if (Math.abs(r) * 2 >= p) return (q + Math.sign(x)) | 0;
  return q | 0;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

describe('gemmlowp fixed-point primitives', () => {
  it('SaturatingRoundingDoublingHighMul matches a 64-bit reference', () => {
    const next = lcg(7);
    const special = [0, 1, -1, 2147483647, -2147483648, 1 << 30, -(1 << 30), 65535, -65536, 32768, 1073741823];
    const values: number[] = [...special];
    for (let i = 0; i < 3000; i++) values.push(next() | 0);
    for (let i = 0; i < 500; i++) values.push((next() | 0) >> (next() % 31));
    for (let i = 0; i < values.length; i++) {
      const a = values[i];
      const b = values[(i * 7919 + 13) % values.length];
      expect(saturatingRoundingDoublingHighMul(a, b), `srdhm(${a}, ${b})`).toBe(srdhmBig(a, b));
    }
    for (const a of special) for (const b of special) expect(saturatingRoundingDoublingHighMul(a, b)).toBe(srdhmBig(a, b));
  });

  it('SaturatingRoundingDoublingHighMul saturates the one overflowing case', () => {
    expect(saturatingRoundingDoublingHighMul(-2147483648, -2147483648)).toBe(2147483647);
  });

  it('RoundingDivideByPOT rounds half away from zero', () => {
    expect(roundingDivideByPOT(5, 1)).toBe(3);
    expect(roundingDivideByPOT(-5, 1)).toBe(-3);
    expect(roundingDivideByPOT(4, 1)).toBe(2);
    expect(roundingDivideByPOT(-6, 2)).toBe(-2); // -1.5 → -2
    expect(roundingDivideByPOT(6, 2)).toBe(2); // 1.5 → 2
    expect(roundingDivideByPOT(-5, 2)).toBe(-1); // -1.25 → -1
    const next = lcg(3);
    for (let i = 0; i < 2000; i++) {
      const x = next() | 0;
      const e = next() % 32;
      expect(roundingDivideByPOT(x, e), `rdpot(${x}, ${e})`).toBe(rdpotBig(x, e));
    }
  });

  it('QuantizeMultiplier normalizes to [2^30, 2^31) with the frexp exponent', () => {
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 1 << 30, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 1 << 30, shift: 1 });
    expect(quantizeMultiplier(0.25)).toEqual({ multiplier: 1 << 30, shift: -1 });
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
    // round(0.75 · 2^31) = 1610612736
    expect(quantizeMultiplier(0.75)).toEqual({ multiplier: 1610612736, shift: 0 });
    // just under 1.0: rounds up to 2^31 and renormalizes
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 1 << 30, shift: 1 });
    expect(quantizeMultiplier(1e-12)).toEqual({ multiplier: 0, shift: 0 });
    for (const m of [0.0123, 0.3, 0.0006, 1.7, 3.2e-5]) {
      const q = quantizeMultiplier(m);
      expect(q.multiplier).toBeGreaterThanOrEqual(1 << 30);
      expect(q.multiplier).toBeLessThan(2 ** 31);
      expect(Math.abs(q.multiplier * 2 ** (q.shift - 31) - m) / m).toBeLessThan(2 ** -30);
    }
  });

  it('multiplier mode stays within one unit of exact rounding of acc · M', () => {
    const next = lcg(11);
    for (let i = 0; i < 2000; i++) {
      const m = (next() / 2 ** 32) * 0.05 + 1e-5;
      const acc = ((next() | 0) >> 8) % 1_000_000;
      const q = quantizeMultiplier(m);
      const got = multiplyByQuantizedMultiplier(acc, q.multiplier, q.shift);
      // two roundings: the high multiply (half a unit at 2^-right) and the rounding shift (half a unit)
      const right = Math.max(0, -q.shift);
      expect(Math.abs(got - acc * m)).toBeLessThanOrEqual(0.5 + 0.5 * 2 ** -right + Math.abs(acc * m) * 2 ** -30);
    }
  });

  it('multiplier mode with M > 1 shifts left first and saturates', () => {
    const q = quantizeMultiplier(4);
    expect(multiplyByQuantizedMultiplier(100, q.multiplier, q.shift)).toBe(400);
    // 2^30 · 2^3 saturates to 2^31 − 1 before the high multiply by 2^30 (= 0.5 · 2^31)
    expect(multiplyByQuantizedMultiplier(2 ** 30, q.multiplier, q.shift)).toBe(1073741824);
    expect(multiplyByQuantizedMultiplier(-(2 ** 30), q.multiplier, q.shift)).toBe(-1073741824);
  });
});

describe('qnnpack float requantization', () => {
  it('rounds half to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, -3.5].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, -4]);
    expect(multiplyByFloatScale(5, 0.5)).toBe(2);
    expect(multiplyByFloatScale(7, 0.5)).toBe(4);
    expect(multiplyByFloatScale(-5, 0.5)).toBe(-2);
  });

  it('converts the accumulator to float32 first (rounding large accumulators)', () => {
    // 16777217 is not a float32; it becomes 16777216 before the multiply.
    expect(multiplyByFloatScale(16777217, 1)).toBe(16777216);
    expect(multiplyByFloatScale(16777219, 1)).toBe(16777220);
  });

  it('computes the scale in float32 as generate_requantization_scales does', () => {
    const f = Math.fround;
    expect(qnnpackRequantScale(0.01, 0.03, 0.05)).toBe(f(f(f(0.01) * f(0.03)) * f(1 / f(0.05))));
    // and not in double
    expect(qnnpackRequantScale(0.01, 0.03, 0.05)).not.toBe(f((0.01 * 0.03) / 0.05));
  });

  it('quantizes the bias at s_x·s_w with round half to even, per tensor and per channel', () => {
    expect(Array.from(quantizeBias([0.5, -0.5, 1.5e-4, 1], 0.01, [0.01]))).toEqual([5000, -5000, 2, 10000]);
    expect(Array.from(quantizeBias([1, 1], 0.5, [0.5, 0.25]))).toEqual([4, 8]);
    expect(() => quantizeBias([1, 1, 1], 0.5, [0.5, 0.25])).toThrow(/2 weight scales for 3 bias values/);
  });

  it('makeRequantParams gives both modes per channel', () => {
    const p = makeRequantParams(0.03, [0.01, 0.02], 0.05);
    expect(p.scale).toHaveLength(2);
    expect(p.multiplier[1]).toBe(quantizeMultiplier((0.03 * 0.02) / 0.05).multiplier);
    expect(p.shift[0]).toBe(quantizeMultiplier((0.03 * 0.01) / 0.05).shift);
  });
});
