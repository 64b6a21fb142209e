/**
 * CPU reference of the integer add, as a chip does it: each input rescaled to the output scale, then
 *   y = clamp(z_y + scale_a(a − z_a) + scale_b(b − z_b), lo, hi)
 */
import type { AddOpSpec } from '../ops';
import { saturateTerm, scaleAccumulator } from '../requant';
import { clampTo } from '../types';

export function intAddCpu(spec: AddOpSpec, a: ArrayLike<number>, b: ArrayLike<number>): Int32Array {
  const n = spec.shape[0] * spec.shape[1] * spec.shape[2] * spec.shape[3];
  if (a.length !== n || b.length !== n) {
    throw new Error(`int add: inputs have ${a.length} and ${b.length} values, shape [${spec.shape.join(', ')}] needs ${n}`);
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const ta = saturateTerm(scaleAccumulator((a[i] - spec.a.zeroPoint) | 0, spec.a.requant, 0, spec.mode));
    const tb = saturateTerm(scaleAccumulator((b[i] - spec.b.zeroPoint) | 0, spec.b.requant, 0, spec.mode));
    out[i] = clampTo(spec.yZeroPoint + ta + tb, spec.clamp[0], spec.clamp[1]);
  }
  return out;
}
