/** Helpers for the fixed-point tests: seeded random integers and a look at padded lanes. */
import type { Tensor } from '../engine/tensor';

export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export function randomInts(rand: () => number, n: number, lo: number, hi: number): Int32Array {
  return Int32Array.from({ length: n }, () => lo + Math.floor(rand() * (hi - lo + 1)));
}

/** The padded channel lanes of a device tensor (they must all hold the zero point). */
export async function paddingLanes(t: Tensor, channels: number): Promise<number[]> {
  const values = await t.read();
  const cp = t.shape[t.shape.length - 1];
  const lanes: number[] = [];
  for (let i = 0; i < values.length; i++) if (i % cp >= channels) lanes.push(values[i]);
  return lanes;
}
