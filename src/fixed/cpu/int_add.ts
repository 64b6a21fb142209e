/**
 * CPU reference of the integer add, as a chip does it: each input rescaled to the output scale, summed
 * in more precision than the output has, and rounded once (ops.ts, AddOpSpec):
 *   y = clamp(z_y + round(scale_a(a − z_a) + scale_b(b − z_b)), lo, hi)
 */
import type { AddOpSpec } from '../ops';
import { roundHalfEven, roundingDivideByPOT, saturateTerm, scaleAccumulator } from '../requant';
import { clampTo } from '../types';

/** The rounded sum of the two rescaled inputs (before the zero point), one element. */
export function addTerms(spec: AddOpSpec, a: number, b: number): number {
  if (spec.mode === 'float') {
    const f = Math.fround;
    const s = f(f(a * spec.a.requant.scale[0]) + f(b * spec.b.requant.scale[0]));
    return saturateTerm(roundHalfEven(s));
  }
  const ta = saturateTerm(scaleAccumulator(a, spec.a.requant, 0, 'multiplier'));
  const tb = saturateTerm(scaleAccumulator(b, spec.b.requant, 0, 'multiplier'));
  return saturateTerm(roundingDivideByPOT(ta + tb, spec.precisionShift ?? 0));
}

export function intAddCpu(spec: AddOpSpec, a: ArrayLike<number>, b: ArrayLike<number>): Int32Array {
  const n = spec.shape[0] * spec.shape[1] * spec.shape[2] * spec.shape[3];
  if (a.length !== n || b.length !== n) {
    throw new Error(`int add: inputs have ${a.length} and ${b.length} values, shape [${spec.shape.join(', ')}] needs ${n}`);
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const t = addTerms(spec, (a[i] - spec.a.zeroPoint) | 0, (b[i] - spec.b.zeroPoint) | 0);
    out[i] = clampTo(spec.yZeroPoint + t, spec.clamp[0], spec.clamp[1]);
  }
  return out;
}
