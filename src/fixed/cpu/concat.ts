/** CPU reference of channel concatenation (NCHW or [N, C]): a copy. */
import type { ConcatOpSpec } from '../ops';

export function concatCpu(spec: ConcatOpSpec, inputs: readonly ArrayLike<number>[]): Int32Array {
  const [n, , h, w] = spec.shapes[0];
  const inner = h * w;
  const total = spec.shapes.reduce((a, s) => a + s[1], 0);
  const out = new Int32Array(n * total * inner);
  let offset = 0;
  spec.shapes.forEach((s, k) => {
    const x = inputs[k];
    const c = s[1];
    if (x.length !== n * c * inner) throw new Error(`concat: input ${k} has ${x.length} values, [${s.join(', ')}] needs ${n * c * inner}`);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < c * inner; i++) out[(b * total + offset) * inner + i] = x[b * c * inner + i];
    }
    offset += c;
  });
  return out;
}
