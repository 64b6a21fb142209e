/**
 * Tile sizes of the GEMM programs per adapter. Chosen by measurement (bench/ and
 * scripts/tune_tiles.ts): on SwiftShader a load costs far more than a multiply-add, so tiles are as
 * large as the registers allow; a real GPU wants more invocations in flight and smaller tiles.
 */
import { deviceAdapter } from '../device';
import type { Tile } from './gemm';

export type GemmKind = 'matmul' | 'conv_fwd' | 'conv_dx' | 'conv_dw';

const overrides = new Map<GemmKind, Tile>();

/** Forces a tile for a kind of GEMM (tuning scripts and tests of every tile path). */
export function setTileOverride(kind: GemmKind, tile: Tile | null): void {
  if (tile) overrides.set(kind, tile);
  else overrides.delete(kind);
}

/** The tile for one GEMM, given its output size M × N (tiles larger than the output waste work). */
export function chooseTile(kind: GemmKind, M: number, N: number): Tile {
  const forced = overrides.get(kind);
  if (forced) return forced;
  const software = deviceAdapter().software;
  const base: Tile = software ? { TM: 8, TN: 8, U: 2 } : { TM: 4, TN: 4, U: 2 };
  return { TM: fit(base.TM, M), TN: fit(base.TN, N), U: base.U };
}

/** The largest power of two ≤ `want` that does not exceed `size` by much (a 10-wide output gets 8). */
function fit(want: number, size: number): number {
  let t = want;
  while (t > 1 && t > size) t >>= 1;
  return t;
}
