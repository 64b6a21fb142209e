/**
 * Integer conv2d on WebGPU (the WGSL twin of cpu/conv2d_int.ts): `prepareConv2d` packs the weights,
 * bias and requantization constants once into device buffers; `conv2dIntGpu` runs the op on a device
 * activation (layout.ts) and returns a new one. Two kernels:
 * - dense (groups = 1, int8 × int8): a register-tiled kernel generated per layer shape, packed words and
 *   dot4i8 or lanes unpacked once (conv2d_int8_tiled.ts);
 * - general (groups, depthwise, int16): lane by lane (shaders/conv2d_int.wgsl).
 */
import commonWgsl from '../../../shaders/conv2d_int_common.wgsl?raw';
import generalWgsl from '../../../shaders/conv2d_int.wgsl?raw';
import { dispatch } from '../../engine/commands';
import { grid1d } from '../../engine/grid';
import { getPipeline } from '../../engine/pipelines';
import { Tensor, keep } from '../../engine/tensor';
import { conv2dIntOutputShape } from '../cpu/conv2d_int';
import { paddedChannels, packWords } from '../layout';
import type { Conv2dOpSpec } from '../ops';
import type { RequantMode, RequantParams } from '../requant';
import { INT_BITS } from '../types';
import { chooseDenseTile, denseTileKey, denseTiledWgsl, type DenseGeometry } from './conv2d_int8_tiled';
import { integerShader, preferredIntegerDot, type IntegerDot } from './shaders';
import { packUniforms } from './uniforms';

const WG = 64;

export type Conv2dKernel = 'dense' | 'general';

export interface PreparedConv2d {
  readonly spec: Conv2dOpSpec;
  readonly kernel: Conv2dKernel;
  readonly dot: IntegerDot | null;
  readonly weights: Tensor;
  readonly chan: Tensor;
  readonly rq: Tensor;
  dispose(): void;
}

export function chooseConv2dKernel(spec: Conv2dOpSpec): Conv2dKernel {
  return spec.geometry.groups === 1 && (spec.xDtype ?? 'int8') === 'int8' && spec.wDtype === 'int8' ? 'dense' : 'general';
}

function zeroPointOf(spec: Conv2dOpSpec, oc: number): number {
  return spec.wZeroPoint.length === 1 ? spec.wZeroPoint[0] : spec.wZeroPoint[oc];
}

/** Requantization constants as the WGSL reads them: per channel (f32 bits, 0) or (multiplier, shift). */
export function requantWords(params: RequantParams, mode: RequantMode, channels: number): Int32Array {
  const out = new Int32Array(channels * 2);
  const f32 = new Float32Array(1);
  const i32 = new Int32Array(f32.buffer);
  for (let c = 0; c < channels; c++) {
    const k = params.scale.length === 1 ? 0 : c;
    if (k >= params.scale.length) continue; // padded channels: zero constants give zero
    if (mode === 'float') {
      f32[0] = params.scale[k];
      out[c * 2] = i32[0];
    } else {
      out[c * 2] = params.multiplier[k];
      out[c * 2 + 1] = params.shift[k];
    }
  }
  return out;
}

/** Dense weights: [OC4][KH][KW][CP/4][4] words, the four output channels of a group interleaved. */
function packDenseWeights(spec: Conv2dOpSpec): Int32Array {
  const [o, c, kh, kw] = spec.wShape;
  const cp = paddedChannels(c);
  const cw = cp / 4;
  const oc4 = Math.ceil(o / 4);
  const bytes = new Int8Array(oc4 * kh * kw * cw * 16);
  for (let g = 0; g < oc4; g++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        for (let wd = 0; wd < cw; wd++) {
          for (let j = 0; j < 4; j++) {
            const oc = g * 4 + j;
            if (oc >= o) continue;
            for (let l = 0; l < 4; l++) {
              const ch = wd * 4 + l;
              if (ch >= c) continue;
              const word = (((g * kh + ky) * kw + kx) * cw + wd) * 4 + j;
              bytes[word * 4 + l] = spec.weight[((oc * c + ch) * kh + ky) * kw + kx];
            }
          }
        }
      }
    }
  }
  return new Int32Array(bytes.buffer);
}

/**
 * The dense kernel reads padded taps as the input zero point and sums `channels` lanes per tap (the real
 * input channels), so its bias absorbs the constant terms: bias − z_x·Σw + z_w·T·z_x (T = KH·KW·channels
 * lanes), in wrapping int32.
 */
export function foldedBias(spec: Conv2dOpSpec, oc: number, channels = paddedChannels(spec.wShape[1])): number {
  const [, c, kh, kw] = spec.wShape;
  let wsum = 0;
  for (let k = 0; k < c * kh * kw; k++) wsum += spec.weight[oc * c * kh * kw + k];
  const lanes = kh * kw * channels;
  const zx = spec.xZeroPoint;
  const zw = zeroPointOf(spec, oc);
  const bias = spec.bias ? spec.bias[oc] : 0;
  return (bias - Math.imul(zx, wsum) + Math.imul(Math.imul(zw, lanes), zx)) | 0;
}

/** General weights: [O][KH][KW][CIN_GP] elements (CIN_GP = C/groups padded to 4), packed by dtype. */
function packGeneralWeights(spec: Conv2dOpSpec): Int32Array {
  const [o, cg, kh, kw] = spec.wShape;
  const cgp = paddedChannels(cg);
  const values = new Int32Array(o * kh * kw * cgp);
  for (let oc = 0; oc < o; oc++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        for (let ch = 0; ch < cg; ch++) values[((oc * kh + ky) * kw + kx) * cgp + ch] = spec.weight[((oc * cg + ch) * kh + ky) * kw + kx];
      }
    }
  }
  return new Int32Array(packWords(values, spec.wDtype).buffer);
}

export function prepareConv2d(spec: Conv2dOpSpec, options: { kernel?: Conv2dKernel } = {}): PreparedConv2d {
  const kernel = options.kernel ?? chooseConv2dKernel(spec);
  if (kernel === 'dense' && chooseConv2dKernel(spec) !== 'dense') {
    throw new Error('conv2d_int: the dense kernel needs groups = 1 and int8 activations and weights');
  }
  const [o] = spec.wShape;
  if (spec.weight.length !== spec.wShape.reduce((a, b) => a * b, 1)) {
    throw new Error(`conv2d_int: ${spec.weight.length} weight values for shape [${spec.wShape.join(', ')}]`);
  }
  const ocp = paddedChannels(o);
  const chan = new Int32Array(ocp * 2);
  for (let oc = 0; oc < o; oc++) {
    chan[oc * 2] = kernel === 'dense' ? foldedBias(spec, oc, spec.wShape[1]) : spec.bias ? spec.bias[oc] : 0;
    chan[oc * 2 + 1] = zeroPointOf(spec, oc);
  }
  const outWords = spec.requant ? requantWords(spec.requant, spec.mode, ocp) : new Int32Array(ocp * 2);
  // With a residual, its per-channel constants (into the accumulator scale) follow: [output | residual].
  const rqWords = spec.residual ? Int32Array.from([...outWords, ...requantWords(spec.residual.requant, spec.mode, ocp)]) : outWords;
  const words = kernel === 'dense' ? packDenseWeights(spec) : packGeneralWeights(spec);
  const weights = keep(Tensor.fromArray(words, [words.length], 'int32'));
  const chanT = keep(Tensor.fromArray(chan, [chan.length], 'int32'));
  const rqT = keep(Tensor.fromArray(rqWords, [rqWords.length], 'int32'));
  return {
    spec,
    kernel,
    dot: kernel === 'dense' ? preferredIntegerDot() : null,
    weights,
    chan: chanT,
    rq: rqT,
    dispose() {
      weights.dispose();
      chanT.dispose();
      rqT.dispose();
    },
  };
}

/**
 * Runs the conv on a device activation x: [N, H, W, CP] (int8/int16); `residual` (output layout) is
 * added after rescaling when the spec has one. Returns [N, HO, WO, OCP] of spec.outDtype.
 */
export function conv2dIntGpu(prepared: PreparedConv2d, x: Tensor, residual?: Tensor): Tensor {
  const { spec, kernel, dot } = prepared;
  const [, c, h, w] = spec.xShape;
  const [o, cg, kh, kw] = spec.wShape;
  const cp = paddedChannels(c);
  const xDtype = spec.xDtype ?? 'int8';
  if (x.rank !== 4 || x.shape[1] !== h || x.shape[2] !== w || x.shape[3] !== cp || x.dtype !== xDtype) {
    throw new Error(`conv2d_int: input is [${x.shape.join(', ')}] ${x.dtype}, expected [N, ${h}, ${w}, ${cp}] ${xDtype}`);
  }
  const n = x.shape[0];
  const [, , ho, wo] = conv2dIntOutputShape({ ...spec, x: [], xShape: [n, c, h, w] });
  const ocp = paddedChannels(o);
  const out = new Tensor([n, ho, wo, ocp], spec.outDtype);
  if (spec.residual) {
    if (!residual || residual.dtype !== spec.residual.dtype || residual.numel !== out.numel) {
      throw new Error(`conv2d_int: residual input must be [${out.shape.join(', ')}] ${spec.residual.dtype}`);
    }
  }
  // A pointwise conv on 1×1 images (a linear layer) is the same memory read as one row of N pixels, which
  // lets the dense kernel's pixel tile run along the batch instead of wasting itself on a 1-wide row.
  const g = spec.geometry;
  const rowOfBatch = h === 1 && w === 1 && kh === 1 && kw === 1 && g.padding[0] === 0 && g.padding[1] === 0 && g.stride[1] === 1;
  const [runN, runH, runW, runHO, runWO] = rowOfBatch ? [1, 1, n, 1, n] : [n, h, w, ho, wo];
  const constants = {
    WG,
    ACT_BITS: INT_BITS[xDtype],
    W_BITS: INT_BITS[spec.wDtype],
    OUT_BITS: INT_BITS[spec.outDtype],
    RES_BITS: spec.residual ? INT_BITS[spec.residual.dtype] : 8,
    HAS_RESIDUAL: spec.residual ? 1 : 0,
    HAS_WZP: spec.wZeroPoint.some((z) => z !== 0) ? 1 : 0,
    REQUANT_FLOAT: spec.mode === 'float' ? 1 : 0,
  };
  let total: number;
  let pipeline: GPUComputePipeline;
  const tiling = { TILES_N: 1, SEGS: 1, ROW_BLOCKS: 1 };
  if (kernel === 'dense') {
    const geometry: DenseGeometry = {
      KH: kh,
      KW: kw,
      SH: rowOfBatch ? 1 : g.stride[0],
      SW: rowOfBatch ? 1 : g.stride[1],
      DH: g.dilation[0],
      DW: g.dilation[1],
      CW: cp / 4,
      C: c,
      hasWzp: constants.HAS_WZP === 1,
      outBits: INT_BITS[spec.outDtype],
      hasResidual: spec.residual !== undefined,
    };
    const tile = chooseDenseTile(runHO, runWO, ocp / 4, cp / 4);
    tiling.TILES_N = Math.ceil(ocp / 4 / tile.TN);
    tiling.SEGS = Math.ceil(runWO / tile.TM);
    tiling.ROW_BLOCKS = Math.ceil(runHO / tile.TR);
    total = runN * tiling.ROW_BLOCKS * tiling.SEGS * tiling.TILES_N;
    const d = dot ?? 'unpacked';
    const key = `conv2d_int:dense:${denseTileKey(geometry, tile, d)}:${Object.values(constants).join(',')}`;
    pipeline = getPipeline(key, () => integerShader(d, commonWgsl, denseTiledWgsl(geometry, tile, d)), constants);
  } else {
    total = runN * runHO * runWO * (ocp / 4);
    const key = `conv2d_int:general:${Object.values(constants).join(',')}`;
    pipeline = getPipeline(key, () => integerShader(null, commonWgsl, generalWgsl), constants);
  }
  const [gx, gy, stride] = grid1d(total, WG);
  const zx = spec.xZeroPoint;
  const padWord = (zx & 0xff) * 0x01010101;
  const uniforms = packUniforms(commonWgsl, 'Params', {
    total,
    stride,
    H: runH,
    W: runW,
    HO: runHO,
    WO: runWO,
    CP: cp,
    OC4: ocp / 4,
    KH: kh,
    KW: kw,
    SH: spec.geometry.stride[0],
    SW: spec.geometry.stride[1],
    PH: spec.geometry.padding[0],
    PW: spec.geometry.padding[1],
    DH: spec.geometry.dilation[0],
    DW: spec.geometry.dilation[1],
    CIN_G: cg,
    CIN_GP: paddedChannels(cg),
    COUT_G: o / spec.geometry.groups,
    COUT: o,
    X_ZP: zx,
    Y_ZP: spec.yZeroPoint,
    LO: spec.clamp[0],
    HI: spec.clamp[1],
    R_ZP: spec.residual?.zeroPoint ?? 0,
    PAD_WORD: padWord >>> 0,
    ...tiling,
  });
  const res = residual ?? x;
  dispatch(pipeline, [x.buffer, prepared.weights.buffer, prepared.chan.buffer, prepared.rq.buffer, res.buffer, out.buffer], [gx, gy], uniforms);
  return out;
}
