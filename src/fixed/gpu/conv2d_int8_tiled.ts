/**
 * WGSL of the dense (groups = 1) int8 × int8 convolution, generated per layer shape with a register tile:
 * one invocation computes TR output rows × TM outputs along a row × TN output words (4 channels each).
 * Every input word under the tile is loaded once per input word column `c` and feeds all the taps and
 * outputs that read it; every weight word is loaded once and feeds the TR·TM outputs. The body is
 * unrolled into straight-line code over named values (no private arrays: on SwiftShader a dynamically
 * indexed private array lives in memory and every access is a scatter or gather).
 *
 * Kernel geometry (KH, KW, stride, dilation) and the input words per pixel (CW) are baked in; sizes
 * (H, W, HO, WO, padding, batch) come from the uniforms of conv2d_int_common.wgsl.
 *
 * Two inner products, bit-identical: 'packed' multiplies whole words with dot4i8 (dot4I8Packed where the
 * adapter has it); 'unpacked' sign-extends each input word's lanes once and multiplies a lane by the
 * vector of four output channels' weights for that lane, skipping the padded lanes of the last input
 * word (the weights there are 0, so only their zero-point sum would differ; see `lanes` below).
 *
 * Taps outside the input read PAD_WORD (the input zero point in every lane); with weight zero points the
 * per-pixel sum of the input lanes that were multiplied (real channels only, KH·KW·C lanes) is kept,
 * and foldedBias(spec, oc, C) holds the constant terms.
 */
import type { IntegerDot } from './shaders';

export interface DenseTile {
  /** Output rows per invocation. */
  TR: number;
  /** Consecutive outputs along a row per invocation. */
  TM: number;
  /** Output words (4 output channels each) per invocation. */
  TN: number;
}

export interface DenseGeometry {
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  DH: number;
  DW: number;
  /** Input words per pixel (CP / 4). */
  CW: number;
  /** Real input channels (≤ 4·CW): lanes of the last word at or past C % 4 are padding. */
  C: number;
  hasWzp: boolean;
  /** Output lanes' bits (32: int32 stored as is) and whether a residual is added: the output stage. */
  outBits: 8 | 16 | 32;
  hasResidual: boolean;
}

/**
 * The tile for a layer: one row of up to 8 outputs × 8 output channels. On SwiftShader (reference CNN,
 * batch 256, scripts/fixed_profile.ts --tile) larger tiles (2 rows × 14 × 8 or 16 channels) ran no faster
 * and compile several times longer; 4 outputs × 4 channels ran conv2 ~1.7× slower.
 */
export function chooseDenseTile(_ho: number, wo: number, oc4: number, _cw: number): DenseTile {
  if (tileOverride) return tileOverride;
  const segments = Math.ceil(wo / 8);
  return { TR: 1, TM: Math.ceil(wo / segments), TN: Math.min(2, oc4) };
}

let tileOverride: DenseTile | null = null;

/** For tuning scripts and tests: every dense conv uses this tile until reset with null. */
export function setDenseTileOverride(tile: DenseTile | null): void {
  tileOverride = tile;
}

export function denseTileKey(g: DenseGeometry, t: DenseTile, dot: IntegerDot): string {
  return `k${g.KH}x${g.KW}s${g.SH}x${g.SW}d${g.DH}x${g.DW}cw${g.CW}c${g.C}${g.hasWzp ? 'z' : ''}o${g.outBits}${g.hasResidual ? 'r' : ''}:${t.TR}x${t.TM}x${t.TN}:${dot}`;
}

function unique(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/** The kernel's main (append to the dot product, int_common, requant_lib and conv2d_int_common). */
export function denseTiledWgsl(g: DenseGeometry, t: DenseTile, dot: IntegerDot): string {
  const { KH, KW, SH, SW, DH, DW, CW, C, hasWzp } = g;
  const { TR, TM, TN } = t;
  if (C < 1 || C > CW * 4 || C <= (CW - 1) * 4) throw new Error(`conv2d_int8_tiled: ${C} channels do not fill ${CW} words`);
  const lastLanes = C - (CW - 1) * 4;
  const taps = KH * KW;
  const rowOf = (r: number, ky: number) => r * SH + ky * DH;
  const colOf = (i: number, kx: number) => i * SW + kx * DW;
  const rows = unique(Array.from({ length: TR * KH }, (_, k) => rowOf(Math.floor(k / KH), k % KH)));
  const cols = unique(Array.from({ length: TM * KW }, (_, k) => colOf(Math.floor(k / KW), k % KW)));
  // f32 products of int8 lanes are exact (|p| ≤ 2^14), and so are sums of up to 2^10 of them. When the
  // whole reduction (C·KH·KW terms) fits, the sums stay in f32 over every word column and go to the i32
  // accumulators once, at the end (a WGSL f32 -> i32 conversion is a clamp and a convert per lane, which
  // SwiftShader pays per operation); otherwise each word column's KH·KW·4 terms (under 2^10 for kernels
  // up to 16×16) are summed in f32 and added to the accumulators.
  const F32 = dot === 'unpacked' && taps * 4 <= 1024;
  const carryAll = F32 && C * taps <= 1024;
  const L: string[] = [];
  L.push(`// conv2d int8 dense tiled (conv2d_int8_tiled.ts): ${TR}×${TM} outputs × ${TN * 4} channels per invocation, ${dot}.
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  // Every binding of conv2d_int_common.wgsl stays in the layout, whichever output stage is generated.
  _ = arrayLength(&rq);
  _ = arrayLength(&res);
  if (idx >= p.total) {
    return;
  }
  let tn = idx % p.TILES_N;
  let t1 = idx / p.TILES_N;
  let seg = t1 % p.SEGS;
  let t2 = t1 / p.SEGS;
  let rb = t2 % p.ROW_BLOCKS;
  let n = t2 / p.ROW_BLOCKS;
  let ox0 = seg * ${TM}u;
  let oy0 = rb * ${TR}u;
  let j0 = tn * ${TN}u;
  let y0 = i32(oy0 * ${SH}u) - i32(p.PH);
  let x0 = i32(ox0 * ${SW}u) - i32(p.PW);`);
  for (const b of cols) {
    L.push(`  let ix_${b} = x0 + ${b};`);
    L.push(`  let cv_${b} = u32(ix_${b}) < p.W;`);
  }
  for (const a of rows) {
    L.push(`  let iy_${a} = y0 + ${a};`);
    L.push(`  let rv_${a} = u32(iy_${a}) < p.H;`);
    L.push(`  let rbase_${a} = (n * p.H + u32(iy_${a})) * p.W;`);
    for (const b of cols) {
      L.push(`  let ok_${a}_${b} = rv_${a} && cv_${b};`);
      L.push(`  let at_${a}_${b} = select(0u, (rbase_${a} + u32(ix_${b})) * ${CW}u, ok_${a}_${b});`);
    }
  }
  for (let j = 0; j < TN; j++) {
    L.push(`  let jj_${j} = min(j0 + ${j}u, p.OC4 - 1u);`);
    L.push(`  let wb_${j} = jj_${j} * ${taps * CW}u;`);
    L.push(`  let bias_${j} = vec4<i32>(chan[jj_${j} * 4u].x, chan[jj_${j} * 4u + 1u].x, chan[jj_${j} * 4u + 2u].x, chan[jj_${j} * 4u + 3u].x);`);
  }
  for (let r = 0; r < TR; r++) {
    for (let i = 0; i < TM; i++) {
      for (let j = 0; j < TN; j++) L.push(`  var acc_${r}_${i}_${j} = bias_${j};`);
      if (carryAll) for (let j = 0; j < TN; j++) L.push(`  var f_${r}_${i}_${j} = vec4<f32>(0.0);`);
      if (hasWzp) L.push(`  var xsum_${r}_${i} = 0;`);
    }
  }

  // One input word column c: loads, unpacking and the multiply-adds of all taps, lanes < `lanes` only.
  const body = (lanes: number, indent: string): void => {
    const cur = new Map<string, string>();
    if (carryAll) for (let r = 0; r < TR; r++) for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) cur.set(`${r}_${i}_${j}`, `f_${r}_${i}_${j}`);
    let id = 0;
    const fresh = () => `s${id++}`;
    const acc = (key: string, init: string) => cur.get(key) ?? init;
    const laneMask = Array.from({ length: lanes }, (_, l) => 1 << (l * 8)).reduce((a, b) => a + b, 0) >>> 0;
    const used = new Set<string>();
    for (let r = 0; r < TR; r++) {
      for (let ky = 0; ky < KH; ky++) {
        for (let i = 0; i < TM; i++) for (let kx = 0; kx < KW; kx++) used.add(`${rowOf(r, ky)}_${colOf(i, kx)}`);
      }
    }
    for (const a of rows) {
      for (const b of cols) {
        const ab = `${a}_${b}`;
        if (!used.has(ab)) continue;
        L.push(`${indent}let xw_${ab} = select(p.PAD_WORD, x[at_${ab} + c], ok_${ab});`);
        if (dot === 'unpacked') {
          for (let l = 0; l < lanes; l++) L.push(`${indent}let x_${ab}_${l} = ${F32 ? 'f32' : ''}(extractBits(bitcast<i32>(xw_${ab}), ${l * 8}u, 8u));`);
          if (hasWzp) L.push(`${indent}let xs_${ab} = ${F32 ? 'i32' : ''}(${Array.from({ length: lanes }, (_, l) => `x_${ab}_${l}`).join(' + ')});`);
        } else if (hasWzp) {
          L.push(`${indent}let xs_${ab} = dot4i8(xw_${ab}, ${laneMask}u);`);
        }
      }
    }
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++) {
        const tap = ky * KW + kx;
        for (let j = 0; j < TN; j++) {
          const wv = `w_${tap}_${j}`;
          L.push(`${indent}let ${wv} = w[wb_${j} + ${tap * CW}u + c];`);
          if (dot === 'unpacked') {
            for (let l = 0; l < lanes; l++) L.push(`${indent}let ${wv}_${l} = ${F32 ? 'vec4<f32>' : ''}(extractBits(bitcast<vec4<i32>>(${wv}), ${l * 8}u, 8u));`);
          }
          for (let r = 0; r < TR; r++) {
            for (let i = 0; i < TM; i++) {
              const ab = `${rowOf(r, ky)}_${colOf(i, kx)}`;
              const key = `${r}_${i}_${j}`;
              const name = fresh();
              const prev = cur.get(key);
              if (F32) {
                // fma of exact integers below 2^24 is exact; one instruction per product and sum.
                let sum = prev;
                for (let l = 0; l < lanes; l++) sum = sum ? `fma(${wv}_${l}, vec4<f32>(x_${ab}_${l}), ${sum})` : `${wv}_${l} * x_${ab}_${l}`;
                L.push(`${indent}let ${name} = ${sum};`);
              } else if (dot === 'unpacked') {
                const terms = Array.from({ length: lanes }, (_, l) => `${wv}_${l} * x_${ab}_${l}`).join(' + ');
                L.push(`${indent}let ${name} = ${prev ? `${prev} + ` : ''}${terms};`);
              } else {
                L.push(`${indent}let ${name} = ${prev ? `${prev} + ` : ''}vec4<i32>(dot4i8(xw_${ab}, ${wv}.x), dot4i8(xw_${ab}, ${wv}.y), dot4i8(xw_${ab}, ${wv}.z), dot4i8(xw_${ab}, ${wv}.w));`);
              }
              cur.set(key, name);
            }
          }
        }
        if (hasWzp) {
          for (let r = 0; r < TR; r++) {
            for (let i = 0; i < TM; i++) {
              const key = `x${r}_${i}`;
              const name = fresh();
              L.push(`${indent}let ${name} = ${acc(key, `xsum_${r}_${i}`)} + xs_${rowOf(r, ky)}_${colOf(i, kx)};`);
              cur.set(key, name);
            }
          }
        }
      }
    }
    for (let r = 0; r < TR; r++) {
      for (let i = 0; i < TM; i++) {
        for (let j = 0; j < TN; j++) {
          const sum = cur.get(`${r}_${i}_${j}`);
          if (carryAll) L.push(`${indent}f_${r}_${i}_${j} = ${sum};`);
          else L.push(`${indent}acc_${r}_${i}_${j} = acc_${r}_${i}_${j} + ${F32 ? `vec4<i32>(${sum})` : sum};`);
        }
        if (hasWzp) L.push(`${indent}xsum_${r}_${i} = ${cur.get(`x${r}_${i}`)};`);
      }
    }
  };

  const fullWords = lastLanes === 4 ? CW : CW - 1;
  if (fullWords > 0) {
    L.push(`  for (var c = 0u; c < ${fullWords}u; c++) {`);
    body(4, '    ');
    L.push('  }');
  }
  if (lastLanes < 4) {
    L.push('  {');
    L.push(`    let c = ${CW - 1}u;`);
    body(lastLanes, '    ');
    L.push('  }');
  }
  if (carryAll) {
    for (let r = 0; r < TR; r++) {
      for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) L.push(`  acc_${r}_${i}_${j} = acc_${r}_${i}_${j} + vec4<i32>(f_${r}_${i}_${j});`);
    }
  }
  // Output stage: one copy of the requantization, in a loop over the tile's output words. Unrolled, its
  // ~50 operations per lane (multiplier mode) were inlined TR·TM·TN·4 times, and SwiftShader spent 1–2 s
  // compiling each layer's kernel; the loop reads the accumulators from a private array once per output
  // word, little beside the K multiply-adds behind each. The requantization constants of the tile's
  // channels are loaded once, and the lanes are indexed by constants (store_output's loop over lanes
  // indexes vectors dynamically, which SwiftShader does through memory). A residual goes through
  // store_output.
  const fastStore = !g.hasResidual && g.outBits !== 32;
  const words = TR * TM * TN;
  L.push(`  var outs: array<vec4<i32>, ${words}>;`);
  for (let j = 0; j < TN; j++) {
    if (hasWzp) L.push(`  let zw_${j} = vec4<i32>(chan[jj_${j} * 4u].y, chan[jj_${j} * 4u + 1u].y, chan[jj_${j} * 4u + 2u].y, chan[jj_${j} * 4u + 3u].y);`);
  }
  for (let r = 0; r < TR; r++) {
    for (let i = 0; i < TM; i++) {
      for (let j = 0; j < TN; j++) {
        const k = (r * TM + i) * TN + j;
        L.push(`  outs[${k}] = ${hasWzp ? `acc_${r}_${i}_${j} - zw_${j} * xsum_${r}_${i}` : `acc_${r}_${i}_${j}`};`);
      }
    }
  }
  if (fastStore) {
    L.push(`  var rqs: array<vec2<u32>, ${TN * 4}>;`);
    for (let j = 0; j < TN; j++) for (let m = 0; m < 4; m++) L.push(`  rqs[${j * 4 + m}] = rq[jj_${j} * 4u + ${m}u];`);
  }
  L.push(`  for (var k = 0u; k < ${words}u; k++) {`);
  L.push(`    let j = k % ${TN}u;`);
  L.push(`    let i = (k / ${TN}u) % ${TM}u;`);
  L.push(`    let r = k / ${TM * TN}u;`);
  L.push('    if (oy0 + r < p.HO && ox0 + i < p.WO && j0 + j < p.OC4) {');
  L.push('      let e = ((n * p.HO + oy0 + r) * p.WO + ox0 + i) * p.OC4 + j0 + j;');
  L.push('      let a = outs[k];');
  if (g.hasResidual) {
    L.push('      store_output(e, j0 + j, a);');
  } else if (g.outBits === 32) {
    for (let m = 0; m < 4; m++) L.push(`      y[e * 4u + ${m}u] = bitcast<u32>(a[${m}]);`);
  } else {
    const scaled = [0, 1, 2, 3].map((m) => `scale_acc(a[${m}], rqs[j * 4u + ${m}u])`).join(', ');
    L.push(`      let v = clamp(vec4<i32>(p.Y_ZP) + vec4<i32>(${scaled}), vec4<i32>(p.LO), vec4<i32>(p.HI));`);
    if (g.outBits === 8) {
      L.push('      y[e] = pack4x8(v);');
    } else {
      L.push('      y[e * 2u] = pack2x16(v.x, v.y);');
      L.push('      y[e * 2u + 1u] = pack2x16(v.z, v.w);');
    }
  }
  L.push('    }');
  L.push('  }');
  L.push('}');
  return L.join('\n');
}
