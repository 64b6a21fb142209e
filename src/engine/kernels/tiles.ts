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

/** Which convolution kernels to use: the row kernels where they apply, or always the implicit GEMM. */
export type ConvPath = 'auto' | 'gemm';
let convPath: ConvPath = 'auto';

export function setConvPath(path: ConvPath): void {
  convPath = path;
}

export function convPathSetting(): ConvPath {
  return convPath;
}

const rowOverrides: { fwd?: { TM: number; TN: number; TR?: number }; dw?: { TM: number; TC: number; U: number } } = {};

export function setRowTileOverride(kind: 'fwd', tile: { TM: number; TN: number; TR?: number } | null): void;
export function setRowTileOverride(kind: 'dw', tile: { TM: number; TC: number; U: number } | null): void;
export function setRowTileOverride(kind: 'fwd' | 'dw', tile: unknown): void {
  if (kind === 'fwd') rowOverrides.fwd = (tile as { TM: number; TN: number; TR?: number } | null) ?? undefined;
  else rowOverrides.dw = (tile as { TM: number; TC: number; U: number } | null) ?? undefined;
}

/**
 * Row-kernel tile for output rows of `width`, `channels` output channels and `summed` input channels
 * (forward and input gradient). Measured on SwiftShader (scripts/tune_conv.ts): two rows per invocation
 * share the loads of the input row between them when many channels are summed; with few (a first
 * layer), more output channels per invocation pay better.
 */
export function chooseRowTile(width: number, channels: number, summed: number): { TM: number; TN: number; TR: number } {
  if (rowOverrides.fwd) return { TR: 1, ...rowOverrides.fwd };
  const segments = Math.ceil(width / 16);
  const TM = Math.ceil(width / segments);
  return summed <= 4 ? { TR: 1, TM, TN: fit(16, channels) } : { TR: 2, TM, TN: fit(8, channels) };
}

/** Weight-gradient row tile for `coutG` output and `cinG` input channels per group, rows of `width`. */
export function chooseRowWeightTile(coutG: number, cinG: number, width: number): { TM: number; TC: number; U: number } {
  if (rowOverrides.dw) return rowOverrides.dw;
  if (cinG === 1) return { TM: fit(4, coutG), TC: 1, U: Math.ceil(width / Math.ceil(width / 14)) };
  return { TM: fit(8, coutG), TC: 2, U: width % 2 === 0 ? 8 : 4 };
}
