/**
 * Convolution kernels for stride 1 and dilation 1 (most convolutions) that reuse loads along a row:
 * an invocation computes TM consecutive outputs of one row for TN channels, and for each input row it
 * loads the TM + KW - 1 values under the whole segment once, feeding all KW taps from registers. On
 * SwiftShader, where every load is a gather and arithmetic is cheap, that is up to 3× fewer loads than
 * the implicit GEMM of conv2d.ts (which handles every other case).
 *
 *   out[n, j, oy, ox] = Σ_{c, ky, kx} in[n, c, oy + ky - P, ox + kx - P] · wt(c, j, ky, kx)
 *
 * The forward pass is this with in = x; the input gradient is this with in = gy, padding KH - 1 - P and
 * the kernel flipped (a transposed convolution of stride 1). The weight gradient (rowsWeightGrad)
 * walks output rows, loading each gy value once for TM output channels and each input row once for
 * all KW taps.
 */
import { Tensor } from '../tensor';
import { getDevice, onDeviceChange } from '../device';
import { dispatch } from '../commands';
import { getPipeline } from '../pipelines';
import { grid1d } from '../grid';
import { Uniforms } from './launch';
import { sumSplits } from './reduce';
import type { Conv2dGeometry } from './conv2d';

export interface RowTile {
  /** Consecutive outputs along a row per invocation. */
  TM: number;
  /** Output channels per invocation. */
  TN: number;
  /** Output rows per invocation (each input row is loaded once for all of them). Default 1. */
  TR?: number;
}

const WG = 64;

/** Whether the row kernels apply: stride 1 and dilation 1. */
export function rowsApply(g: Conv2dGeometry): boolean {
  return g.stride[0] === 1 && g.stride[1] === 1 && g.dilation[0] === 1 && g.dilation[1] === 1;
}

type Role = 'fwd' | 'dx';

function rowConvWgsl(role: Role, KH: number, KW: number, tile: RowTile, pairedStores: boolean): string {
  // The forward always adds a bias (zeros when the conv has none, see zeroBias); the input gradient never.
  const hasBias = role === 'fwd';
  const { TM, TN } = tile;
  const TR = tile.TR ?? 1;
  const L: string[] = [];
  const span = TM + KW - 1;
  const inRows = TR + KH - 1;
  L.push(`// ${role === 'fwd' ? 'conv2d forward' : 'conv2d input gradient'}, stride 1: ${TR}×${TM} outputs × ${TN} channels per invocation (see conv2d_rows.ts).
@group(0) @binding(0) var<storage, read> IN: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> OUT: array<${pairedStores ? 'vec2<f32>' : 'f32'}>;
${hasBias ? '@group(0) @binding(3) var<storage, read> bias: array<f32>;' : ''}
struct Params {
  segments: u32, gridStride: u32, tilesN: u32, segsPerRow: u32,
  inC: u32, inH: u32, inW: u32, outC: u32, outH: u32, outW: u32,
  P_Y: i32, P_X: i32, CinG: u32, CoutG: u32, sumC: u32, outCG: u32, rowBlocks: u32,
}
@group(0) @binding(${hasBias ? 4 : 3}) var<uniform> P: Params;
override WG: u32 = ${WG}u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * P.gridStride;
  let seg = t / P.tilesN;
  if (seg >= P.segments) {
    return;
  }
  let j0 = (t - seg * P.tilesN) * ${TN}u;
  let g = gid.z;
  let block = seg / P.segsPerRow;
  let ox0 = (seg - block * P.segsPerRow) * ${TM}u;
  let n = block / P.rowBlocks;
  let oy0 = (block - n * P.rowBlocks) * ${TR}u;
  let inPlane = P.inH * P.inW;
  let inBase = (n * P.inC + g * P.sumC) * inPlane;
  let x0 = i32(ox0) - P.P_X;`);
  // Weight index of (c, j, ky, kx): fwd reads W[(g·CoutG + j)·CinG + c][ky][kx]; dx reads W[(g·CoutG + c)·CinG + j] flipped.
  for (let j = 0; j < TN; j++) {
    L.push(`  let jj_${j} = min(j0 + ${j}u, P.outCG - 1u);`);
    if (role === 'fwd') L.push(`  let wj_${j} = (g * P.CoutG + jj_${j}) * P.CinG * ${KH * KW}u;`);
    else L.push(`  let wj_${j} = (g * P.CoutG * P.CinG + jj_${j}) * ${KH * KW}u;`);
  }
  for (let q = 0; q < span; q++) {
    L.push(`  let cx_${q} = x0 + ${q};`);
    L.push(`  let cv_${q} = u32(cx_${q}) < P.inW;`);
  }
  for (let r = 0; r < inRows; r++) {
    L.push(`  let iy_${r} = i32(oy0) + ${r} - P.P_Y;`);
    L.push(`  let rv_${r} = u32(iy_${r}) < P.inH;`);
    for (let q = 0; q < span; q++) L.push(`  let ok_${r}_${q} = rv_${r} & cv_${q};`);
  }
  for (let r = 0; r < TR; r++) for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) L.push(`  var acc_${r}_${i}_${j} = 0.0;`);
  L.push('  for (var c = 0u; c < P.sumC; c++) {');
  L.push('    let cBase = i32(inBase + c * inPlane);');
  if (role === 'fwd') L.push(`    let wc = c * ${KH * KW}u;`);
  else L.push(`    let wc = c * P.CinG * ${KH * KW}u;`);
  const cur = new Map<string, string>();
  const acc = (r: number, i: number, j: number) => cur.get(`${r}_${i}_${j}`) ?? `acc_${r}_${i}_${j}`;
  for (let r = 0; r < inRows; r++) {
    L.push(`    let rb_${r} = cBase + iy_${r} * i32(P.inW);`);
    for (let q = 0; q < span; q++) {
      L.push(`    let v_${r}_${q} = select(0.0, IN[select(0u, u32(rb_${r} + cx_${q}), ok_${r}_${q})], ok_${r}_${q});`);
    }
  }
  let id = 0;
  for (let ky = 0; ky < KH; ky++) {
    for (let kx = 0; kx < KW; kx++) {
      const tap = role === 'fwd' ? ky * KW + kx : (KH - 1 - ky) * KW + (KW - 1 - kx);
      for (let j = 0; j < TN; j++) {
        L.push(`    let w_${ky}_${kx}_${j} = Wt[wj_${j} + wc + ${tap}u];`);
        for (let r = 0; r < TR; r++) {
          for (let i = 0; i < TM; i++) {
            const name = `s${id++}`;
            L.push(`    let ${name} = fma(v_${r + ky}_${i + kx}, w_${ky}_${kx}_${j}, ${acc(r, i, j)});`);
            cur.set(`${r}_${i}_${j}`, name);
          }
        }
      }
    }
  }
  for (let r = 0; r < TR; r++) for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) L.push(`    acc_${r}_${i}_${j} = ${acc(r, i, j)};`);
  L.push('  }');
  L.push('  let outPlane = P.outH * P.outW;');
  L.push('  let outBase = (n * P.outC + g * P.outCG) * outPlane + oy0 * P.outW + ox0;');
  // Output stage as one loop over the tile's outputs (pairs of columns with paired stores), the
  // accumulators read from a private array: unrolled, its TR·TM·TN guarded stores were a large part of
  // SwiftShader's compile time for these kernels.
  const step = pairedStores ? 2 : 1;
  const cols = TM / step;
  const words = TR * cols * TN;
  const T = pairedStores ? 'vec2<f32>' : 'f32';
  L.push(`  var outs: array<${T}, ${words}>;`);
  for (let r = 0; r < TR; r++) {
    for (let i = 0; i < TM; i += step) {
      for (let j = 0; j < TN; j++) {
        const k = (r * cols + i / step) * TN + j;
        L.push(`  outs[${k}] = ${pairedStores ? `vec2<f32>(acc_${r}_${i}_${j}, acc_${r}_${i + 1}_${j})` : `acc_${r}_${i}_${j}`};`);
      }
    }
  }
  L.push(`  for (var k = 0u; k < ${words}u; k++) {`);
  L.push(`    let j = k % ${TN}u;`);
  L.push(`    let i = ((k / ${TN}u) % ${cols}u) * ${step}u;`);
  L.push(`    let r = k / ${cols * TN}u;`);
  L.push('    if (oy0 + r < P.outH && ox0 + i < P.outW && j0 + j < P.outCG) {');
  L.push('      let at = outBase + (j0 + j) * outPlane + r * P.outW + i;');
  const bias = hasBias ? ` + ${T}(bias[g * P.outCG + j0 + j])` : '';
  L.push(`      OUT[${pairedStores ? 'at / 2u' : 'at'}] = outs[k]${bias};`);
  L.push('    }');
  L.push('  }');
  L.push('}');
  return L.join('\n');
}

/**
 * Zeros as the bias of a forward conv without one, so that both use one pipeline (these generated kernels
 * take a second or two each to compile on SwiftShader; QAT's conv+BN and the calibration models would
 * otherwise compile bias-free copies of the float model's). Bit-exact: a sum that starts at +0 is never
 * -0, so adding +0 changes no bit. WebGPU zero-fills new buffers; one per size, per device.
 */
const zeroBiases = new Map<number, GPUBuffer>();
onDeviceChange(() => zeroBiases.clear());

function zeroBias(channels: number): GPUBuffer {
  let buffer = zeroBiases.get(channels);
  if (!buffer) {
    buffer = getDevice().createBuffer({ label: `zero bias [${channels}]`, size: Math.max(16, Math.ceil(channels / 4) * 16), usage: GPUBufferUsage.STORAGE });
    zeroBiases.set(channels, buffer);
  }
  return buffer;
}

function run(role: Role, input: Tensor, weight: Tensor, bias: Tensor | null, g: Conv2dGeometry, tile: RowTile): Tensor {
  const CinG = g.Cin / g.groups;
  const CoutG = g.Cout / g.groups;
  const fwd = role === 'fwd';
  const [inC, inH, inW] = fwd ? [g.Cin, g.H, g.W] : [g.Cout, g.OH, g.OW];
  const [outC, outH, outW] = fwd ? [g.Cout, g.OH, g.OW] : [g.Cin, g.H, g.W];
  const out = new Tensor([g.N, outC, outH, outW]);
  const TR = tile.TR ?? 1;
  const segsPerRow = Math.ceil(outW / tile.TM);
  const rowBlocks = Math.ceil(outH / TR);
  const segments = g.N * rowBlocks * segsPerRow;
  const outCG = fwd ? CoutG : CinG;
  const tilesN = Math.ceil(outCG / tile.TN);
  const [gx, gy, gridStride] = grid1d(segments * tilesN, WG);
  const paired = outW % 2 === 0 && tile.TM % 2 === 0;
  const key = `conv2d_rows_${role}:k${g.KH}x${g.KW}:${TR}x${tile.TM}x${tile.TN}${fwd ? ':bias' : ''}${paired ? ':pairs' : ''}`;
  const pipeline = getPipeline(key, () => rowConvWgsl(role, g.KH, g.KW, tile, paired));
  const uniforms = new Uniforms()
    .u32(segments, gridStride, tilesN, segsPerRow, inC, inH, inW, outC, outH, outW)
    .i32(fwd ? g.padding[0] : g.KH - 1 - g.padding[0], fwd ? g.padding[1] : g.KW - 1 - g.padding[1])
    .u32(CinG, CoutG, fwd ? CinG : CoutG, outCG, rowBlocks)
    .build();
  const buffers = fwd ? [input.buffer, weight.buffer, out.buffer, bias?.buffer ?? zeroBias(outC)] : [input.buffer, weight.buffer, out.buffer];
  dispatch(pipeline, buffers, [gx, gy, g.groups], uniforms);
  return out;
}

export function rowsForward(x: Tensor, weight: Tensor, bias: Tensor | null, g: Conv2dGeometry, tile: RowTile): Tensor {
  return run('fwd', x, weight, bias, g, tile);
}

export function rowsInputGrad(gy: Tensor, weight: Tensor, g: Conv2dGeometry, tile: RowTile): Tensor {
  return run('dx', gy, weight, null, g, tile);
}

export interface WeightGradTile {
  /** Output channels per invocation. */
  TM: number;
  /** Input channels per invocation (each with all KH·KW taps). */
  TC: number;
  /** Outputs along a row per unrolled step. */
  U: number;
}

/**
 * The weight-gradient kernels' common start: bindings (gy and x as `elem`), parameters, and the tile's
 * output channels, input channels and rows of this split.
 */
function weightGradPrologue(elem: string, TM: number, TC: number): string {
  return `@group(0) @binding(0) var<storage, read> GY: array<${elem}>;
@group(0) @binding(1) var<storage, read> X: array<${elem}>;
@group(0) @binding(2) var<storage, read_write> OUT: array<f32>;
struct Params {
  tiles: u32, gridStride: u32, tilesC: u32, splits: u32, rowsPerSplit: u32, rows: u32,
  Cin: u32, H: u32, W: u32, Cout: u32, OH: u32, OW: u32, P_Y: i32, P_X: i32, CinG: u32, CoutG: u32,
}
@group(0) @binding(3) var<uniform> P: Params;
override WG: u32 = ${WG}u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * P.gridStride;
  if (t >= P.tiles) {
    return;
  }
  let z = gid.z;
  let g = z / P.splits;
  let split = z - g * P.splits;
  let tm = t / P.tilesC;
  let co0 = tm * ${TM}u;
  let ci0 = (t - tm * P.tilesC) * ${TC}u;
  let HW = P.H * P.W;
  let OHW = P.OH * P.OW;
  let rowFirst = split * P.rowsPerSplit;
  let rowLast = min(rowFirst + P.rowsPerSplit, P.rows);`;
}

/** The weight-gradient kernels' common end: the partial result of this split, [G, splits, CoutG, CinG·KK]. */
function weightGradEpilogue(L: string[], KK: number, TM: number, TC: number): void {
  L.push(`  let outBase = z * P.CoutG * P.CinG * ${KK}u;`);
  for (let i = 0; i < TM; i++) {
    for (let c = 0; c < TC; c++) {
      L.push(`  if ((co0 + ${i}u < P.CoutG) & (ci0 + ${c}u < P.CinG)) {`);
      L.push(`    let o_${i}_${c} = outBase + ((co0 + ${i}u) * P.CinG + ci0 + ${c}u) * ${KK}u;`);
      for (let k = 0; k < KK; k++) L.push(`    OUT[o_${i}_${c} + ${k}u] = acc_${i}_${c}_${k};`);
      L.push('  }');
    }
  }
  L.push('}');
}

/**
 * dW[co, ci, ky, kx] = Σ_{n, oy, ox} gy[n, co, oy, ox] · x[n, ci, oy + ky - P, ox + kx - P]. An
 * invocation owns TM output channels × TC input channels (all taps) and a chunk of the N·OH output
 * rows; per U outputs of a row it loads TM·U values of gy and TC·KH·(U + KW - 1) of x.
 */
function weightGradWgsl(KH: number, KW: number, tile: WeightGradTile): string {
  const { TM, TC, U } = tile;
  const span = U + KW - 1;
  const L: string[] = [];
  L.push(`// conv2d weight gradient, stride 1: ${TM} output × ${TC} input channels per invocation (see conv2d_rows.ts).
${weightGradPrologue('f32', TM, TC)}`);
  for (let i = 0; i < TM; i++) L.push(`  let co_${i} = (g * P.CoutG + min(co0 + ${i}u, P.CoutG - 1u)) * OHW;`);
  for (let c = 0; c < TC; c++) L.push(`  let ci_${c} = (g * P.CinG + min(ci0 + ${c}u, P.CinG - 1u)) * HW;`);
  for (let i = 0; i < TM; i++) for (let c = 0; c < TC; c++) for (let k = 0; k < KH * KW; k++) L.push(`  var acc_${i}_${c}_${k} = 0.0;`);
  L.push(`  for (var row = rowFirst; row < rowLast; row++) {
    let n = row / P.OH;
    let oy = row - n * P.OH;
    let gyRow = n * P.Cout * OHW + oy * P.OW;
    let xImage = n * P.Cin * HW;`);
  for (let ky = 0; ky < KH; ky++) {
    L.push(`    let iy_${ky} = i32(oy) + ${ky} - P.P_Y;`);
    L.push(`    let rv_${ky} = u32(iy_${ky}) < P.H;`);
    L.push(`    let rb_${ky} = i32(xImage) + iy_${ky} * i32(P.W);`);
  }
  L.push('    for (var ox0 = 0u; ox0 < P.OW; ox0 += ' + `${U}u) {`);
  const cur = new Map<string, string>();
  const acc = (i: number, c: number, k: number) => cur.get(`${i}_${c}_${k}`) ?? `acc_${i}_${c}_${k}`;
  let id = 0;
  for (let u = 0; u < U; u++) {
    L.push(`      let ox_${u} = ox0 + ${u}u;`);
    L.push(`      let ov_${u} = ox_${u} < P.OW;`);
    for (let i = 0; i < TM; i++) L.push(`      let g_${u}_${i} = select(0.0, GY[select(0u, co_${i} + gyRow + ox_${u}, ov_${u})], ov_${u});`);
  }
  for (let q = 0; q < span; q++) {
    L.push(`      let cx_${q} = i32(ox0) + ${q} - P.P_X;`);
    L.push(`      let cv_${q} = u32(cx_${q}) < P.W;`);
  }
  for (let c = 0; c < TC; c++) {
    for (let ky = 0; ky < KH; ky++) {
      for (let q = 0; q < span; q++) {
        L.push(`      let ok_${c}_${ky}_${q} = rv_${ky} & cv_${q};`);
        L.push(`      let v_${c}_${ky}_${q} = select(0.0, X[select(0u, u32(rb_${ky} + cx_${q}) + ci_${c}, ok_${c}_${ky}_${q})], ok_${c}_${ky}_${q});`);
      }
      for (let kx = 0; kx < KW; kx++) {
        const k = ky * KW + kx;
        for (let i = 0; i < TM; i++) {
          for (let u = 0; u < U; u++) {
            const name = `s${id++}`;
            L.push(`      let ${name} = fma(g_${u}_${i}, v_${c}_${ky}_${u + kx}, ${acc(i, c, k)});`);
            cur.set(`${i}_${c}_${k}`, name);
          }
        }
      }
    }
  }
  for (let i = 0; i < TM; i++) for (let c = 0; c < TC; c++) for (let k = 0; k < KH * KW; k++) L.push(`      acc_${i}_${c}_${k} = ${acc(i, c, k)};`);
  L.push('    }');
  L.push('  }');
  weightGradEpilogue(L, KH * KW, TM, TC);
  return L.join('\n');
}

/**
 * weightGradWgsl for even widths (W and OW): gy and x are read as vec2 pairs, half the loads. Pairs
 * start at even columns, so a pair is wholly inside or wholly outside a row; `parity` is P_X mod 2, which
 * fixes where the first needed column falls in its pair.
 */
function weightGradPairsWgsl(KH: number, KW: number, tile: WeightGradTile, parity: number): string {
  const { TM, TC, U } = tile;
  if (U % 2 !== 0) throw new Error(`conv2d weight gradient (pairs): U must be even, got ${U}`);
  const span = U + KW - 1;
  const pairsX = Math.ceil((parity + span) / 2);
  const L: string[] = [];
  L.push(`// conv2d weight gradient, stride 1, even widths: ${TM} output × ${TC} input channels per invocation, vec2 loads (see conv2d_rows.ts).
${weightGradPrologue('vec2<f32>', TM, TC)}`);
  for (let i = 0; i < TM; i++) L.push(`  let co_${i} = (g * P.CoutG + min(co0 + ${i}u, P.CoutG - 1u)) * OHW;`);
  for (let c = 0; c < TC; c++) L.push(`  let ci_${c} = i32((g * P.CinG + min(ci0 + ${c}u, P.CinG - 1u)) * HW);`);
  for (let i = 0; i < TM; i++) for (let c = 0; c < TC; c++) for (let k = 0; k < KH * KW; k++) L.push(`  var acc_${i}_${c}_${k} = 0.0;`);
  L.push(`  for (var row = rowFirst; row < rowLast; row++) {
    let n = row / P.OH;
    let oy = row - n * P.OH;
    let gyRow = n * P.Cout * OHW + oy * P.OW;
    let xImage = i32(n * P.Cin * HW);`);
  for (let ky = 0; ky < KH; ky++) {
    L.push(`    let iy_${ky} = i32(oy) + ${ky} - P.P_Y;`);
    L.push(`    let rv_${ky} = u32(iy_${ky}) < P.H;`);
    L.push(`    let rb_${ky} = xImage + iy_${ky} * i32(P.W);`);
  }
  L.push(`    for (var ox0 = 0u; ox0 < P.OW; ox0 += ${U}u) {`);
  L.push(`      let e0 = i32(ox0) - P.P_X - ${parity};`);
  const cur = new Map<string, string>();
  const acc = (i: number, c: number, k: number) => cur.get(`${i}_${c}_${k}`) ?? `acc_${i}_${c}_${k}`;
  for (let h = 0; h < U / 2; h++) {
    L.push(`      let ov_${h} = ox0 + ${2 * h}u < P.OW;`);
    for (let i = 0; i < TM; i++) L.push(`      let gp_${h}_${i} = select(vec2<f32>(0.0), GY[select(0u, (co_${i} + gyRow + ox0) / 2u + ${h}u, ov_${h})], ov_${h});`);
  }
  const gyAt = (u: number, i: number) => `gp_${Math.floor(u / 2)}_${i}.${u % 2 === 0 ? 'x' : 'y'}`;
  for (let k = 0; k < pairsX; k++) {
    L.push(`      let ce_${k} = e0 + ${2 * k};`);
    L.push(`      let cv_${k} = u32(ce_${k}) < P.W;`);
  }
  let id = 0;
  for (let c = 0; c < TC; c++) {
    for (let ky = 0; ky < KH; ky++) {
      for (let k = 0; k < pairsX; k++) {
        L.push(`      let ok_${c}_${ky}_${k} = rv_${ky} & cv_${k};`);
        L.push(`      let xp_${c}_${ky}_${k} = select(vec2<f32>(0.0), X[select(0u, u32(ci_${c} + rb_${ky} + ce_${k}) / 2u, ok_${c}_${ky}_${k})], ok_${c}_${ky}_${k});`);
      }
      // Column q of the span is element parity + q from e0.
      const xAt = (q: number) => `xp_${c}_${ky}_${Math.floor((parity + q) / 2)}.${(parity + q) % 2 === 0 ? 'x' : 'y'}`;
      for (let kx = 0; kx < KW; kx++) {
        const kk = ky * KW + kx;
        for (let i = 0; i < TM; i++) {
          for (let u = 0; u < U; u++) {
            const name = `s${id++}`;
            L.push(`      let ${name} = fma(${gyAt(u, i)}, ${xAt(u + kx)}, ${acc(i, c, kk)});`);
            cur.set(`${i}_${c}_${kk}`, name);
          }
        }
      }
    }
  }
  for (let i = 0; i < TM; i++) for (let c = 0; c < TC; c++) for (let k = 0; k < KH * KW; k++) L.push(`      acc_${i}_${c}_${k} = ${acc(i, c, k)};`);
  L.push('    }');
  L.push('  }');
  weightGradEpilogue(L, KH * KW, TM, TC);
  return L.join('\n');
}

export function rowsWeightGrad(gy: Tensor, x: Tensor, g: Conv2dGeometry, tile: WeightGradTile): Tensor {
  const CinG = g.Cin / g.groups;
  const CoutG = g.Cout / g.groups;
  const KK = g.KH * g.KW;
  const tilesC = Math.ceil(CinG / tile.TC);
  const tiles = Math.ceil(CoutG / tile.TM) * tilesC;
  const rows = g.N * g.OH;
  // Enough invocations for every core, each with a few rows.
  const splits = Math.max(1, Math.min(Math.ceil(512 / tiles), Math.floor(rows / 4), 1024));
  const rowsPerSplit = Math.ceil(rows / splits);
  const partial = new Tensor([g.groups * splits * CoutG * CinG * KK]);
  const [gx, gyDim, gridStride] = grid1d(tiles, WG);
  // Even widths and an even step: vec2 loads (the pair layout needs W, OW and U even).
  const pairs = g.W % 2 === 0 && g.OW % 2 === 0 && tile.U % 2 === 0;
  const parity = g.padding[1] % 2;
  const key = `conv2d_rows_dw${pairs ? `_pairs${parity}` : ''}:k${g.KH}x${g.KW}:${tile.TM}x${tile.TC}u${tile.U}`;
  const pipeline = getPipeline(key, () => (pairs ? weightGradPairsWgsl(g.KH, g.KW, tile, parity) : weightGradWgsl(g.KH, g.KW, tile)));
  const uniforms = new Uniforms()
    .u32(tiles, gridStride, tilesC, splits, rowsPerSplit, rows, g.Cin, g.H, g.W, g.Cout, g.OH, g.OW)
    .i32(g.padding[0], g.padding[1])
    .u32(CinG, CoutG)
    .build();
  dispatch(pipeline, [gy.buffer, x.buffer, partial.buffer], [gx, gyDim, g.groups * splits], uniforms);
  const dw = sumSplits(partial, g.groups, splits, CoutG * CinG * KK, [g.Cout, CinG, g.KH, g.KW]);
  partial.dispose();
  return dw;
}
