/**
 * Comparing GPU results with CPU references in tests: a tolerance of |a - b| ≤ atol + rtol·|b| per
 * element, with the worst element named in the failure.
 */
import { expect } from 'vitest';
import type { Tensor } from '../tensor';

export interface Tolerance {
  atol: number;
  rtol: number;
}

export function maxViolation(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance): { index: number; excess: number; a: number; b: number } | null {
  let worst: { index: number; excess: number; a: number; b: number } | null = null;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    const excess = Math.abs(a - b) - (tol.atol + tol.rtol * Math.abs(b));
    if (Number.isNaN(a) !== Number.isNaN(b) || excess > 0) {
      if (!worst || excess > worst.excess || Number.isNaN(a)) worst = { index: i, excess, a, b };
    }
  }
  return worst;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, what = 'values'): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const worst = maxViolation(actual, expected, tol);
  if (worst) {
    expect.fail(`${what}: element ${worst.index} is ${worst.a}, expected ${worst.b} (atol ${tol.atol}, rtol ${tol.rtol})`);
  }
}

export async function expectTensorClose(t: Tensor, expected: ArrayLike<number>, tol: Tolerance, what = 'tensor'): Promise<void> {
  expectClose(await t.read(), expected, tol, what);
}

/** Deterministic test data in [-1, 1). */
export function testData(n: number, seed = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}
