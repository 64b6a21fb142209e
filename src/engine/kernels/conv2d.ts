/**
 * 2-D convolution (NCHW, groups, stride, padding, dilation) as three implicit GEMMs on the generator:
 *
 * - forward:     rows = output pixels (n, oy, ox), cols = output channels, k = (ci, ky, kx)
 * - input grad:  rows = input pixels (n, iy, ix),  cols = input channels,  k = (co, ky, kx)
 * - weight grad: rows = output channels, cols = (ci, ky, kx), k = (n, oy, ox), split into chunks whose
 *   partial sums a second pass adds (the reduction runs over N·OH·OW, far longer than the output).
 *
 * Kernel size, stride and dilation are compile-time constants of the program (few distinct values, and
 * divisions by constants are cheap); sizes and padding are uniforms. Groups run along gid.z.
 */
import { Tensor } from '../tensor';
import { runGemm, type GemmProgram } from './gemm';
import { chooseRowTile, chooseRowWeightTile, chooseTile, convPathSetting } from './tiles';
import { rowsApply, rowsForward, rowsInputGrad, rowsWeightGrad } from './conv2d_rows';
import { sumSplits } from './reduce';
import { sumRows } from './elementwise';

export interface Conv2dParams {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

export interface Conv2dGeometry extends Conv2dParams {
  N: number;
  Cin: number;
  H: number;
  W: number;
  Cout: number;
  KH: number;
  KW: number;
  OH: number;
  OW: number;
}

/** Checks shapes and works out the output size (PyTorch's formula), with errors naming the shapes. */
export function conv2dGeometry(xShape: readonly number[], wShape: readonly number[], p: Conv2dParams): Conv2dGeometry {
  if (xShape.length !== 4) throw new Error(`conv2d: input must be [N, C, H, W], got [${xShape.join(', ')}]`);
  if (wShape.length !== 4) throw new Error(`conv2d: weight must be [Cout, Cin/groups, KH, KW], got [${wShape.join(', ')}]`);
  const [N, Cin, H, W] = xShape as [number, number, number, number];
  const [Cout, CinG, KH, KW] = wShape as [number, number, number, number];
  if (Cin !== CinG * p.groups) {
    throw new Error(`conv2d: input has ${Cin} channels, weight [${wShape.join(', ')}] with groups=${p.groups} expects ${CinG * p.groups}`);
  }
  if (Cout % p.groups !== 0) throw new Error(`conv2d: ${Cout} output channels are not divisible by groups=${p.groups}`);
  const OH = Math.floor((H + 2 * p.padding[0] - p.dilation[0] * (KH - 1) - 1) / p.stride[0]) + 1;
  const OW = Math.floor((W + 2 * p.padding[1] - p.dilation[1] * (KW - 1) - 1) / p.stride[1]) + 1;
  if (OH <= 0 || OW <= 0) {
    throw new Error(`conv2d: input [${xShape.join(', ')}] is too small for kernel ${KH}x${KW} (padding ${p.padding}, dilation ${p.dilation}): output ${OH}x${OW}`);
  }
  return { N, Cin, H, W, Cout, KH, KW, OH, OW, ...p };
}

// Beyond 2^22 the float-multiply division of GEMM_HELPERS may round wrong: use integer division there.
const DIVF_LIMIT = 1 << 22;

interface ConstKey {
  KH: number;
  KW: number;
  SY: number;
  SX: number;
  DY: number;
  DX: number;
  exact: boolean;
}

function constKey(g: Conv2dGeometry, exact: boolean): ConstKey {
  return { KH: g.KH, KW: g.KW, SY: g.stride[0], SX: g.stride[1], DY: g.dilation[0], DX: g.dilation[1], exact };
}

function keyText(c: ConstKey): string {
  return `k${c.KH}x${c.KW}s${c.SY}x${c.SX}d${c.DY}x${c.DX}${c.exact ? 'e' : ''}`;
}

function constants(c: ConstKey): string {
  return [
    `const KH = ${c.KH}u;`,
    `const KW = ${c.KW}u;`,
    `const KK = ${c.KH * c.KW}u;`,
    `const SY = ${c.SY}u;`,
    `const SX = ${c.SX}u;`,
    `const DY = ${c.DY}u;`,
    `const DX = ${c.DX}u;`,
  ].join('\n');
}

/** `a / d` as WGSL, exact or through the float reciprocal `inv`. */
function div(c: ConstKey, a: string, d: string, inv: string): string {
  return c.exact ? `(${a}) / (${d})` : `divf(${a}, ${inv})`;
}

const SIZE_PARAMS = [
  ['Cin', 'u32'],
  ['H', 'u32'],
  ['W', 'u32'],
  ['Cout', 'u32'],
  ['OH', 'u32'],
  ['OW', 'u32'],
  ['PY', 'i32'],
  ['PX', 'i32'],
  ['CinG', 'u32'],
  ['CoutG', 'u32'],
  ['K', 'u32'],
] as const;

function sizeValues(g: Conv2dGeometry, K: number): Record<string, number> {
  return {
    Cin: g.Cin,
    H: g.H,
    W: g.W,
    Cout: g.Cout,
    OH: g.OH,
    OW: g.OW,
    PY: g.padding[0],
    PX: g.padding[1],
    CinG: g.Cin / g.groups,
    CoutG: g.Cout / g.groups,
    K,
  };
}

/**
 * Zero-padded read of x at (iy, ix) in the plane starting at `base`. Bool `&`, not `&&`: a short-circuit
 * becomes a branch per load, which SwiftShader's JIT handles very slowly.
 */
const LOAD_X = `
fn loadX(base: u32, iy: i32, ix: i32) -> f32 {
  let inside = (u32(iy) < P.H) & (u32(ix) < P.W);
  return select(0.0, X[select(0u, base + u32(iy) * P.W + u32(ix), inside)], inside);
}`;

const programs = new Map<string, GemmProgram>();

function cached(key: string, make: () => GemmProgram): GemmProgram {
  let p = programs.get(key);
  if (!p) programs.set(key, (p = make()));
  return p;
}

function forwardProgram(c: ConstKey, hasBias: boolean): GemmProgram {
  return cached(`fwd:${keyText(c)}:${hasBias}`, () => ({
    name: `conv2d_fwd_${keyText(c)}${hasBias ? '_bias' : ''}`,
    params: [...SIZE_PARAMS, ['invOHW', 'f32'], ['invOW', 'f32']],
    bindings: [
      '@group(0) @binding(0) var<storage, read> X: array<f32>;',
      '@group(0) @binding(1) var<storage, read> Wt: array<f32>;',
      '@group(0) @binding(2) var<storage, read_write> Y: array<f32>;',
      hasBias ? '@group(0) @binding(3) var<storage, read> bias: array<f32>;' : '',
      constants(c),
      LOAD_X,
    ].join('\n'),
    bindingCount: hasBias ? 4 : 3,
    setup: [
      'let OHW = P.OH * P.OW;',
      'let HW = P.H * P.W;',
      'let coG = z * P.CoutG;',
      'let xG = z * P.CinG * HW;',
    ].join('\n'),
    row: (i) =>
      [
        `let n_${i} = ${div(c, `mi_${i}`, 'OHW', 'P.invOHW')};`,
        `let p_${i} = mi_${i} - n_${i} * OHW;`,
        `let oy_${i} = ${div(c, `p_${i}`, 'P.OW', 'P.invOW')};`,
        `let ox_${i} = p_${i} - oy_${i} * P.OW;`,
        `let iy_${i} = i32(oy_${i} * SY) - P.PY;`,
        `let ix_${i} = i32(ox_${i} * SX) - P.PX;`,
        `let xb_${i} = n_${i} * P.Cin * HW + xG;`,
        `let yb_${i} = (n_${i} * P.Cout + coG) * OHW + p_${i};`,
      ].join('\n'),
    col: (j) => `let wb_${j} = (coG + nj_${j}) * P.K;`,
    kStart: '0u',
    kEnd: 'P.K',
    kStep: (s) =>
      [
        `let ci_${s} = k_${s} / KK;`,
        `let r_${s} = k_${s} - ci_${s} * KK;`,
        `let ky_${s} = r_${s} / KW;`,
        `let kx_${s} = r_${s} - ky_${s} * KW;`,
        `let xo_${s} = ci_${s} * HW;`,
        `let dy_${s} = i32(ky_${s} * DY);`,
        `let dx_${s} = i32(kx_${s} * DX);`,
      ].join('\n'),
    loadA: (i, s) => `loadX(xb_${i} + xo_${s}, iy_${i} + dy_${s}, ix_${i} + dx_${s})`,
    loadB: (j, s) => `Wt[wb_${j} + k_${s}]`,
    store: (i, j, acc) => `Y[yb_${i} + (n0 + ${j}u) * OHW] = ${acc}${hasBias ? ` + bias[coG + n0 + ${j}u]` : ''};`,
  }));
}

function inputGradProgram(c: ConstKey): GemmProgram {
  const unit = c.SY === 1 && c.SX === 1;
  const loadGy = unit
    ? `
fn loadGy(base: u32, ty: i32, tx: i32) -> f32 {
  let inside = (u32(ty) < P.OH) & (u32(tx) < P.OW);
  return select(0.0, GY[select(0u, base + u32(ty) * P.OW + u32(tx), inside)], inside);
}`
    : `
fn loadGy(base: u32, ty: i32, tx: i32) -> f32 {
  let oy = u32(ty) / SY;
  let ox = u32(tx) / SX;
  let inside = (ty >= 0) & (tx >= 0) & (oy * SY == u32(ty)) & (ox * SX == u32(tx)) & (oy < P.OH) & (ox < P.OW);
  return select(0.0, GY[select(0u, base + oy * P.OW + ox, inside)], inside);
}`;
  return cached(`dx:${keyText(c)}`, () => ({
    name: `conv2d_dx_${keyText(c)}`,
    params: [...SIZE_PARAMS, ['invHW', 'f32'], ['invW', 'f32']],
    bindings: [
      '@group(0) @binding(0) var<storage, read> GY: array<f32>;',
      '@group(0) @binding(1) var<storage, read> Wt: array<f32>;',
      '@group(0) @binding(2) var<storage, read_write> DXo: array<f32>;',
      constants(c),
      loadGy,
    ].join('\n'),
    bindingCount: 3,
    setup: [
      'let OHW = P.OH * P.OW;',
      'let HW = P.H * P.W;',
      'let gyG = z * P.CoutG * OHW;',
      'let wG = z * P.CoutG * P.CinG * KK;',
      'let ciG = z * P.CinG;',
    ].join('\n'),
    row: (i) =>
      [
        `let n_${i} = ${div(c, `mi_${i}`, 'HW', 'P.invHW')};`,
        `let p_${i} = mi_${i} - n_${i} * HW;`,
        `let iy_${i} = ${div(c, `p_${i}`, 'P.W', 'P.invW')};`,
        `let ix_${i} = p_${i} - iy_${i} * P.W;`,
        `let ty_${i} = i32(iy_${i}) + P.PY;`,
        `let tx_${i} = i32(ix_${i}) + P.PX;`,
        `let gb_${i} = n_${i} * P.Cout * OHW + gyG;`,
        `let xs_${i} = (n_${i} * P.Cin + ciG) * HW + p_${i};`,
      ].join('\n'),
    col: (j) => `let wc_${j} = wG + nj_${j} * KK;`,
    kStart: '0u',
    kEnd: 'P.K',
    kStep: (s) =>
      [
        `let co_${s} = k_${s} / KK;`,
        `let r_${s} = k_${s} - co_${s} * KK;`,
        `let ky_${s} = r_${s} / KW;`,
        `let kx_${s} = r_${s} - ky_${s} * KW;`,
        `let go_${s} = co_${s} * OHW;`,
        `let wk_${s} = co_${s} * P.CinG * KK + r_${s};`,
        `let dy_${s} = i32(ky_${s} * DY);`,
        `let dx_${s} = i32(kx_${s} * DX);`,
      ].join('\n'),
    loadA: (i, s) => `loadGy(gb_${i} + go_${s}, ty_${i} - dy_${s}, tx_${i} - dx_${s})`,
    loadB: (j, s) => `Wt[wc_${j} + wk_${s}]`,
    store: (i, j, acc) => `DXo[xs_${i} + (n0 + ${j}u) * HW] = ${acc};`,
  }));
}

function weightGradProgram(c: ConstKey): GemmProgram {
  return cached(`dw:${keyText(c)}`, () => ({
    name: `conv2d_dw_${keyText(c)}`,
    params: [...SIZE_PARAMS, ['invOHW', 'f32'], ['invOW', 'f32'], ['splits', 'u32'], ['chunk', 'u32'], ['total', 'u32']],
    bindings: [
      '@group(0) @binding(0) var<storage, read> GY: array<f32>;',
      '@group(0) @binding(1) var<storage, read> X: array<f32>;',
      '@group(0) @binding(2) var<storage, read_write> OUT: array<f32>;',
      constants(c),
      LOAD_X,
    ].join('\n'),
    bindingCount: 3,
    setup: [
      'let OHW = P.OH * P.OW;',
      'let HW = P.H * P.W;',
      'let g = z / P.splits;',
      'let split = z - g * P.splits;',
      'let kFirst = split * P.chunk;',
      'let kLast = min(kFirst + P.chunk, P.total);',
    ].join('\n'),
    row: (i) => `let gr_${i} = (g * P.CoutG + mi_${i}) * OHW;`,
    col: (j) =>
      [
        `let ci_${j} = nj_${j} / KK;`,
        `let r_${j} = nj_${j} - ci_${j} * KK;`,
        `let ky_${j} = r_${j} / KW;`,
        `let kx_${j} = r_${j} - ky_${j} * KW;`,
        `let xc_${j} = (g * P.CinG + ci_${j}) * HW;`,
        `let cy_${j} = i32(ky_${j} * DY) - P.PY;`,
        `let cx_${j} = i32(kx_${j} * DX) - P.PX;`,
      ].join('\n'),
    kStart: 'kFirst',
    kEnd: 'kLast',
    kStep: (s) =>
      [
        `let n_${s} = ${div(c, `k_${s}`, 'OHW', 'P.invOHW')};`,
        `let p_${s} = k_${s} - n_${s} * OHW;`,
        `let oy_${s} = ${div(c, `p_${s}`, 'P.OW', 'P.invOW')};`,
        `let ox_${s} = p_${s} - oy_${s} * P.OW;`,
        `let gk_${s} = n_${s} * P.Cout * OHW + p_${s};`,
        `let xk_${s} = n_${s} * P.Cin * HW;`,
        `let iy_${s} = i32(oy_${s} * SY);`,
        `let ix_${s} = i32(ox_${s} * SX);`,
      ].join('\n'),
    loadA: (i, s) => `GY[gr_${i} + gk_${s}]`,
    loadB: (j, s) => `loadX(xk_${s} + xc_${j}, iy_${s} + cy_${j}, ix_${s} + cx_${j})`,
    store: (i, j, acc) => `OUT[(z * P.CoutG + m0 + ${i}u) * P.N + n0 + ${j}u] = ${acc};`,
  }));
}

function useRows(g: Conv2dGeometry): boolean {
  return convPathSetting() === 'auto' && rowsApply(g);
}

export function conv2dForward(x: Tensor, weight: Tensor, bias: Tensor | null, g: Conv2dGeometry): Tensor {
  if (useRows(g)) return rowsForward(x, weight, bias, g, chooseRowTile(g.OW, g.Cout / g.groups, g.Cin / g.groups));
  const y = new Tensor([g.N, g.Cout, g.OH, g.OW]);
  const M = g.N * g.OH * g.OW;
  const c = constKey(g, M >= DIVF_LIMIT);
  const CoutG = g.Cout / g.groups;
  const K = (g.Cin / g.groups) * g.KH * g.KW;
  const program = forwardProgram(c, !!bias);
  const buffers = bias ? [x.buffer, weight.buffer, y.buffer, bias.buffer] : [x.buffer, weight.buffer, y.buffer];
  runGemm(program, chooseTile('conv_fwd', M, CoutG), { M, N: CoutG, Z: g.groups }, buffers, {
    ...sizeValues(g, K),
    invOHW: 1 / (g.OH * g.OW),
    invOW: 1 / g.OW,
  });
  return y;
}

export function conv2dInputGrad(gy: Tensor, weight: Tensor, g: Conv2dGeometry): Tensor {
  if (useRows(g)) return rowsInputGrad(gy, weight, g, chooseRowTile(g.W, g.Cin / g.groups, g.Cout / g.groups));
  const dx = new Tensor([g.N, g.Cin, g.H, g.W]);
  const M = g.N * g.H * g.W;
  const c = constKey(g, M >= DIVF_LIMIT);
  const CinG = g.Cin / g.groups;
  const K = (g.Cout / g.groups) * g.KH * g.KW;
  runGemm(inputGradProgram(c), chooseTile('conv_dx', M, CinG), { M, N: CinG, Z: g.groups }, [gy.buffer, weight.buffer, dx.buffer], {
    ...sizeValues(g, K),
    invHW: 1 / (g.H * g.W),
    invW: 1 / g.W,
  });
  return dx;
}

/** How many chunks the weight-gradient reduction is split into: enough invocations for every core. */
function weightGradSplits(total: number, tiles: number): number {
  const wantInvocations = 512;
  const byWork = Math.ceil(wantInvocations / Math.max(1, tiles));
  const minChunk = 64;
  return Math.max(1, Math.min(byWork, Math.floor(total / minChunk), 1024));
}

export function conv2dWeightGrad(gy: Tensor, x: Tensor, g: Conv2dGeometry): Tensor {
  if (useRows(g)) return rowsWeightGrad(gy, x, g, chooseRowWeightTile(g.Cout / g.groups, g.Cin / g.groups, g.OW));
  const CoutG = g.Cout / g.groups;
  const CinG = g.Cin / g.groups;
  const Kcol = CinG * g.KH * g.KW;
  const total = g.N * g.OH * g.OW;
  const c = constKey(g, total >= DIVF_LIMIT);
  const tile = chooseTile('conv_dw', CoutG, Kcol);
  const tiles = Math.ceil(CoutG / tile.TM) * Math.ceil(Kcol / tile.TN);
  const splits = weightGradSplits(total, tiles);
  const chunk = Math.ceil(total / splits);
  const partial = new Tensor([g.groups * splits * CoutG * Kcol]);
  runGemm(weightGradProgram(c), tile, { M: CoutG, N: Kcol, Z: g.groups * splits }, [gy.buffer, x.buffer, partial.buffer], {
    ...sizeValues(g, Kcol),
    invOHW: 1 / (g.OH * g.OW),
    invOW: 1 / g.OW,
    splits,
    chunk,
    total,
  });
  const dw = sumSplits(partial, g.groups, splits, CoutG * Kcol, [g.Cout, CinG, g.KH, g.KW]);
  partial.dispose();
  return dw;
}

/** Σ over n, y, x of an NCHW tensor: [C] (the bias gradient of a convolution). */
export function channelSums(t: Tensor): Tensor {
  const [N, C, H, W] = t.shape as [number, number, number, number];
  const perImage = sumRows(t, N * C, H * W);
  const out = sumSplits(perImage, 1, N, C, [C]);
  perImage.dispose();
  return out;
}
