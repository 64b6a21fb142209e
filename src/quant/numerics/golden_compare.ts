/** Comparisons for golden checks: bit-exact float32, exact integers, and relative closeness. */
import { f32Bits } from './float32';

export interface Comparison {
  ok: boolean;
  /** Empty when ok; otherwise where and by how much. */
  detail: string;
}

const hex = (v: number) => `0x${f32Bits(v).toString(16).padStart(8, '0')}`;

/** Every value equal as float32 bits (so -0 differs from 0), the golden values rounded to float32 first. */
export function bitsEqual(what: string, got: ArrayLike<number>, want: ArrayLike<number>): Comparison {
  if (got.length !== want.length) return { ok: false, detail: `${what}: ${got.length} values, PyTorch has ${want.length}` };
  let bad = 0;
  let first = -1;
  for (let i = 0; i < want.length; i++) {
    if (f32Bits(got[i]!) !== f32Bits(want[i]!)) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad === 0) return { ok: true, detail: '' };
  return {
    ok: false,
    detail: `${what}: ${bad} of ${want.length} differ (first [${first}]: ours ${got[first]} ${hex(got[first]!)}, PyTorch ${want[first]} ${hex(Math.fround(want[first]!))})`,
  };
}

export function intsEqual(what: string, got: ArrayLike<number>, want: ArrayLike<number>): Comparison {
  if (got.length !== want.length) return { ok: false, detail: `${what}: ${got.length} values, PyTorch has ${want.length}` };
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) return { ok: false, detail: `${what}[${i}]: ours ${got[i]}, PyTorch ${want[i]}` };
  }
  return { ok: true, detail: '' };
}

/** |ours - PyTorch| <= rel * |PyTorch| (or <= absFloor where PyTorch's value is ~0). */
export function relClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, rel: number, absFloor = 0): Comparison {
  if (got.length !== want.length) return { ok: false, detail: `${what}: ${got.length} values, PyTorch has ${want.length}` };
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    const tol = Math.max(rel * Math.abs(want[i]!), absFloor);
    if (!(err <= tol)) return { ok: false, detail: `${what}[${i}]: ours ${got[i]}, PyTorch ${want[i]} (relative error ${(err / Math.abs(want[i]!)).toExponential(2)} > ${rel})` };
    const r = want[i] === 0 ? 0 : err / Math.abs(want[i]!);
    if (r > worst) {
      worst = r;
      worstAt = i;
    }
  }
  return { ok: true, detail: worstAt >= 0 ? `${what} max relative error ${worst.toExponential(2)}` : '' };
}

/** All comparisons of one case folded into one verdict and message. */
export function verdict(comparisons: readonly Comparison[]): Comparison {
  const failed = comparisons.filter((c) => !c.ok);
  if (failed.length) return { ok: false, detail: failed.map((c) => c.detail).join('; ') };
  const notes = comparisons.map((c) => c.detail).filter(Boolean);
  return { ok: true, detail: notes.length ? notes.join('; ') : 'exact' };
}
