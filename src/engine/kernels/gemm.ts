/**
 * A register-tiled GEMM program generator: C[m, n] = Σ_k A(m, k) · B(k, n), where each invocation keeps a
 * TM × TN tile of C in registers and `A`, `B` and the store are WGSL snippets supplied by the op (plain
 * matmul, or convolution read as an implicit GEMM: no im2col buffer).
 *
 * Why this shape: on SwiftShader every load whose address is not a compile-time constant is a masked
 * gather costing tens of cycles, while arithmetic is cheap, so the kernel's speed is set by loads per
 * multiply-add: (TM + TN) per TM·TN. The k loop is unrolled U times with the partial sums kept in `let`s,
 * because each assignment to a `var` inside a loop costs a masked blend there. Real GPUs like the same
 * register tiling; tile sizes are chosen per adapter (see tiles.ts).
 */
import { dispatch, type Binding } from '../commands';
import { getPipeline } from '../pipelines';
import { grid1d } from '../grid';

export interface Tile {
  /** Rows of C per invocation. */
  TM: number;
  /** Columns of C per invocation. */
  TN: number;
  /** Unrolled k steps per loop iteration. */
  U: number;
}

export type UniformType = 'u32' | 'i32' | 'f32';

export interface GemmProgram {
  /** Name used in the pipeline key and error messages. */
  name: string;
  /** Uniform fields after the common ones (M, N, tilesM, tilesN, gridStride), in order. */
  params: readonly (readonly [string, UniformType])[];
  /** Binding declarations (group 0, bindings 0..n-1; the uniform `P` takes binding n) and helper functions. */
  bindings: string;
  /** Number of storage bindings declared in `bindings`. */
  bindingCount: number;
  /** Code run once per invocation; may use `z` (gid.z), `m0`, `n0`. */
  setup: string;
  /** Per tile row i: lets for row i, which may use `mi_${i}` (the row index, clamped to M - 1). */
  row(i: number): string;
  /** Per tile column j: lets for column j, which may use `nj_${j}` (clamped to N - 1). */
  col(j: number): string;
  /** The k range of this invocation (expressions; may use lets from setup). */
  kStart: string;
  kEnd: string;
  /** Lets for k step `s`, whose index is the u32 `k_${s}`. */
  kStep(s: string): string;
  /** The value A(row i, k step s) as an f32 expression. */
  loadA(i: number, s: string): string;
  /** The value B(k step s, col j). */
  loadB(j: number, s: string): string;
  /** Statement(s) storing `acc` for tile element (i, j); only run when that element is inside C. */
  store(i: number, j: number, acc: string): string;
}

/** WGSL helpers every GEMM program may use. */
export const GEMM_HELPERS = `
// floor(a / d) for a < 2^22, given inv = 1 / d: one float multiply instead of an integer division
// (which SwiftShader runs lane by lane). (a + 0.5) / d is at least 0.5 / d away from an integer, more
// than the rounding error of the product for a < 2^22.
fn divf(a: u32, inv: f32) -> u32 {
  return u32((f32(a) + 0.5) * inv);
}
`;

export function gemmKey(program: GemmProgram, tile: Tile, extra = ''): string {
  return `gemm:${program.name}:${tile.TM}x${tile.TN}u${tile.U}${extra}`;
}

export const GEMM_WG = 64;

/** The WGSL of one GEMM program at one tile size. */
export function gemmWgsl(program: GemmProgram, tile: Tile): string {
  const { TM, TN, U } = tile;
  const L: string[] = [];
  const fields = [
    ['M', 'u32'],
    ['N', 'u32'],
    ['tilesM', 'u32'],
    ['tilesN', 'u32'],
    ['gridStride', 'u32'],
    ...program.params,
  ];
  L.push(program.bindings);
  L.push(GEMM_HELPERS);
  L.push(`struct Params {\n${fields.map(([n, t]) => `  ${n}: ${t},`).join('\n')}\n}`);
  L.push(`@group(0) @binding(${program.bindingCount}) var<uniform> P: Params;`);
  L.push(`override WG: u32 = ${GEMM_WG}u;`);
  L.push('@compute @workgroup_size(WG)');
  L.push('fn main(@builtin(global_invocation_id) gid: vec3<u32>) {');
  L.push('  let t = gid.x + gid.y * P.gridStride;');
  L.push('  let z = gid.z;');
  L.push('  let tm = t / P.tilesN;');
  L.push('  let tn = t - tm * P.tilesN;');
  L.push('  if (tm >= P.tilesM) {\n    return;\n  }');
  L.push(`  let m0 = tm * ${TM}u;`);
  L.push(`  let n0 = tn * ${TN}u;`);
  L.push(indent(program.setup, 2));
  for (let i = 0; i < TM; i++) {
    L.push(`  let mi_${i} = min(m0 + ${i}u, P.M - 1u);`);
    L.push(indent(program.row(i), 2));
  }
  for (let j = 0; j < TN; j++) {
    L.push(`  let nj_${j} = min(n0 + ${j}u, P.N - 1u);`);
    L.push(indent(program.col(j), 2));
  }
  for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) L.push(`  var acc_${i}_${j} = 0.0;`);
  L.push(`  let kEnd = ${program.kEnd};`);
  L.push(`  var k = ${program.kStart};`);
  const body = (steps: number): string[] => {
    const out: string[] = [];
    const cur: string[][] = [];
    for (let i = 0; i < TM; i++) cur.push(Array.from({ length: TN }, (_, j) => `acc_${i}_${j}`));
    for (let s = 0; s < steps; s++) {
      out.push(`let k_${s} = k + ${s}u;`);
      out.push(program.kStep(String(s)));
      for (let i = 0; i < TM; i++) out.push(`let a_${s}_${i} = ${program.loadA(i, String(s))};`);
      for (let j = 0; j < TN; j++) out.push(`let b_${s}_${j} = ${program.loadB(j, String(s))};`);
      for (let i = 0; i < TM; i++) {
        for (let j = 0; j < TN; j++) {
          const name = `c_${s}_${i}_${j}`;
          out.push(`let ${name} = fma(a_${s}_${i}, b_${s}_${j}, ${cur[i]![j]});`);
          cur[i]![j] = name;
        }
      }
    }
    for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) out.push(`acc_${i}_${j} = ${cur[i]![j]};`);
    return out;
  };
  if (U > 1) {
    L.push(`  for (; k + ${U}u <= kEnd; k += ${U}u) {`);
    L.push(indent(body(U).join('\n'), 4));
    L.push('  }');
  }
  L.push('  for (; k < kEnd; k++) {');
  L.push(indent(body(1).join('\n'), 4));
  L.push('  }');
  for (let i = 0; i < TM; i++) {
    L.push(`  if (m0 + ${i}u < P.M) {`);
    for (let j = 0; j < TN; j++) {
      L.push(`    if (n0 + ${j}u < P.N) {`);
      L.push(indent(program.store(i, j, `acc_${i}_${j}`), 6));
      L.push('    }');
    }
    L.push('  }');
  }
  L.push('}');
  return L.join('\n');
}

function indent(code: string, n: number): string {
  if (!code.trim()) return '';
  const pad = ' '.repeat(n);
  return code
    .split('\n')
    .map((line) => (line.trim() ? pad + line : line))
    .join('\n');
}

/** Uniform words for a program: the common fields, then the program's own, in declaration order. */
export function gemmUniforms(
  program: GemmProgram,
  common: { M: number; N: number; tilesM: number; tilesN: number; gridStride: number },
  values: Record<string, number>,
): Uint32Array {
  const all: [string, UniformType, number][] = [
    ['M', 'u32', common.M],
    ['N', 'u32', common.N],
    ['tilesM', 'u32', common.tilesM],
    ['tilesN', 'u32', common.tilesN],
    ['gridStride', 'u32', common.gridStride],
  ];
  for (const [name, type] of program.params) {
    const v = values[name];
    if (v === undefined) throw new Error(`${program.name}: uniform '${name}' has no value`);
    all.push([name, type, v]);
  }
  const words = new ArrayBuffer(Math.max(16, Math.ceil(all.length / 4) * 16));
  const u = new Uint32Array(words);
  const i = new Int32Array(words);
  const f = new Float32Array(words);
  all.forEach(([, type, v], k) => {
    if (type === 'f32') f[k] = v;
    else if (type === 'i32') i[k] = v;
    else u[k] = v >>> 0;
  });
  return u;
}

/** Dispatches a GEMM program over an M × N output, `Z` times along gid.z (batches, groups or k splits). */
export function runGemm(
  program: GemmProgram,
  tile: Tile,
  sizes: { M: number; N: number; Z: number },
  buffers: readonly Binding[],
  values: Record<string, number>,
  keyExtra = '',
): void {
  if (buffers.length !== program.bindingCount) {
    throw new Error(`${program.name}: ${buffers.length} buffers for ${program.bindingCount} bindings`);
  }
  if (sizes.M === 0 || sizes.N === 0 || sizes.Z === 0) return;
  const tilesM = Math.ceil(sizes.M / tile.TM);
  const tilesN = Math.ceil(sizes.N / tile.TN);
  const [gx, gy, gridStride] = grid1d(tilesM * tilesN, GEMM_WG);
  const pipeline = getPipeline(gemmKey(program, tile, keyExtra), () => gemmWgsl(program, tile));
  const uniforms = gemmUniforms(program, { M: sizes.M, N: sizes.N, tilesM, tilesN, gridStride }, values);
  dispatch(pipeline, buffers, [gx, gy, sizes.Z], uniforms);
}
