/**
 * Batch norm (NCHW, per channel) and layer norm (over the last dimensions) kernels, forward and backward.
 * Batch statistics are two-pass split reductions: per (image, channel, chunk) partials, then per channel.
 */
import statsWgsl from '../../../shaders/batch_norm_stats.wgsl?raw';
import statsVec4Wgsl from '../../../shaders/batch_norm_stats_vec4.wgsl?raw';
import finalizeWgsl from '../../../shaders/batch_norm_finalize.wgsl?raw';
import evalStatsWgsl from '../../../shaders/batch_norm_eval_stats.wgsl?raw';
import applyWgsl from '../../../shaders/batch_norm_apply.wgsl?raw';
import applyVec4Wgsl from '../../../shaders/batch_norm_apply_vec4.wgsl?raw';
import bwdStatsWgsl from '../../../shaders/batch_norm_backward_stats.wgsl?raw';
import bwdStatsVec4Wgsl from '../../../shaders/batch_norm_backward_stats_vec4.wgsl?raw';
import bwdFinalizeWgsl from '../../../shaders/batch_norm_backward_finalize.wgsl?raw';
import bwdDxWgsl from '../../../shaders/batch_norm_backward_dx.wgsl?raw';
import bwdDxVec4Wgsl from '../../../shaders/batch_norm_backward_dx_vec4.wgsl?raw';
import bwdEvalVec4Wgsl from '../../../shaders/batch_norm_backward_eval_vec4.wgsl?raw';
import layerNormWgsl from '../../../shaders/layer_norm.wgsl?raw';
import layerNormBackwardWgsl from '../../../shaders/layer_norm_backward.wgsl?raw';
import { Tensor } from '../tensor';
import { dispatch } from '../commands';
import { getPipeline } from '../pipelines';
import { grid1d } from '../grid';
import { Uniforms, launchPlanes } from './launch';
import { sumToShape } from './elementwise';

const WG = 64;

/** [N, C, H·W] of a tensor with a channel dim 1 (rank 2 to 4+). */
export function channelLayout(shape: readonly number[], what: string): [number, number, number] {
  if (shape.length < 2) throw new Error(`${what}: expected at least [N, C], got [${shape.join(', ')}]`);
  const [N, C] = shape as [number, number];
  const HW = shape.slice(2).reduce((a, b) => a * b, 1);
  return [N, C, HW];
}

/**
 * Chunks per plane: long planes are split so the statistics pass has enough invocations. With `vec4`
 * (planes a multiple of 4 long) chunks are whole vec4s and `chunk` counts vec4s.
 */
function chunking(N: number, C: number, HW: number): { chunks: number; chunk: number; vec4: boolean } {
  const rows = N * C;
  const vec4 = HW % 4 === 0;
  const units = vec4 ? HW / 4 : HW;
  const wanted = rows >= 512 || HW <= 256 ? 1 : Math.min(Math.ceil(512 / rows), Math.ceil(HW / 128));
  const chunk = Math.ceil(units / wanted);
  // Recounted so that no chunk is empty (an empty chunk's mean would be 0/0).
  return { chunks: Math.ceil(units / chunk), chunk, vec4 };
}

function perChannelGrid(C: number): [number, number] {
  const [gx, gy] = grid1d(C, WG);
  if (gy !== 1) throw new Error(`batch_norm: ${C} channels are more than one dispatch row holds`);
  return [gx, 1];
}

/**
 * Batch statistics of x: returns stats [2, C] = (mean, 1/sqrt(var + eps)); when `update`, moves the
 * running mean/var in place by `momentum`.
 */
export function batchNormStats(x: Tensor, runningMean: Tensor, runningVar: Tensor, momentum: number, eps: number, update: boolean): Tensor {
  const [N, C, HW] = channelLayout(x.shape, 'batch_norm');
  const { chunks, chunk, vec4 } = chunking(N, C, HW);
  const partial = new Tensor([N * C * chunks * 3]);
  const [gx, gy, stride] = grid1d(N * C * chunks, WG);
  const pipeline = vec4 ? getPipeline('bn_stats_vec4', () => statsVec4Wgsl, { WG }) : getPipeline('bn_stats', () => statsWgsl, { WG });
  dispatch(pipeline, [x.buffer, partial.buffer], [gx, gy], new Uniforms().u32(N * C * chunks, stride, C, vec4 ? HW / 4 : HW, chunks, chunk).build());
  const stats = new Tensor([2, C]);
  dispatch(
    getPipeline('bn_finalize', () => finalizeWgsl, { WG }),
    [partial.buffer, stats.buffer, runningMean.buffer, runningVar.buffer],
    perChannelGrid(C),
    new Uniforms().u32(N, C, chunks, update ? 1 : 0).f32(momentum, eps).build(),
  );
  partial.dispose();
  return stats;
}

/** stats [2, C] from the running statistics (evaluation mode). */
export function batchNormEvalStats(runningMean: Tensor, runningVar: Tensor, eps: number): Tensor {
  const C = runningMean.numel;
  const stats = new Tensor([2, C]);
  dispatch(getPipeline('bn_eval_stats', () => evalStatsWgsl, { WG }), [runningMean.buffer, runningVar.buffer, stats.buffer], perChannelGrid(C), new Uniforms().u32(C).f32(eps).build());
  return stats;
}

export function batchNormApply(x: Tensor, stats: Tensor, weight: Tensor, bias: Tensor, relu = false): Tensor {
  const [N, C, HW] = channelLayout(x.shape, 'batch_norm');
  const y = new Tensor(x.shape);
  const buffers = [x.buffer, stats.buffer, weight.buffer, bias.buffer, y.buffer];
  if (HW % 4 === 0) {
    launchPlanes(`bn_apply_vec4${relu ? '_relu' : ''}`, () => applyVec4Wgsl, { RELU: relu ? 1 : 0 }, buffers, N * C, HW / 4, (u) => u.u32(C, HW / 4), 4);
  } else {
    launchPlanes(`bn_apply${relu ? '_relu' : ''}`, () => applyWgsl, { RELU: relu ? 1 : 0 }, buffers, N * C, HW, (u) => u.u32(C, HW));
  }
  return y;
}

/** Σ gy·x̂ and Σ gy per channel: [dweight, dbias]. */
export function batchNormParamGrads(gy: Tensor, x: Tensor, stats: Tensor): [Tensor, Tensor] {
  const [N, C, HW] = channelLayout(x.shape, 'batch_norm backward');
  const { chunks, chunk, vec4 } = chunking(N, C, HW);
  const partial = new Tensor([N * C * chunks * 2]);
  const [gx, gyDim, stride] = grid1d(N * C * chunks, WG);
  const pipeline = vec4 ? getPipeline('bn_bwd_stats_vec4', () => bwdStatsVec4Wgsl, { WG }) : getPipeline('bn_bwd_stats', () => bwdStatsWgsl, { WG });
  dispatch(
    pipeline,
    [gy.buffer, x.buffer, stats.buffer, partial.buffer],
    [gx, gyDim],
    new Uniforms().u32(N * C * chunks, stride, C, vec4 ? HW / 4 : HW, chunks, chunk).build(),
  );
  const dweight = new Tensor([C]);
  const dbias = new Tensor([C]);
  dispatch(getPipeline('bn_bwd_finalize', () => bwdFinalizeWgsl, { WG }), [partial.buffer, dweight.buffer, dbias.buffer], perChannelGrid(C), new Uniforms().u32(N, C, chunks).build());
  partial.dispose();
  return [dweight, dbias];
}

/**
 * Evaluation-mode backward in one pass over gy and x when planes are whole vec4s: [dx, dweight, dbias],
 * bit for bit what batchNormParamGrads then batchNormInputGrad(..., training false) give. Null when the
 * layout needs the separate kernels.
 */
export function batchNormEvalBackward(gy: Tensor, x: Tensor, stats: Tensor, weight: Tensor): [Tensor, Tensor, Tensor] | null {
  const [N, C, HW] = channelLayout(x.shape, 'batch_norm backward');
  const { chunks, chunk, vec4 } = chunking(N, C, HW);
  if (!vec4) return null;
  const partial = new Tensor([N * C * chunks * 2]);
  const dx = new Tensor(x.shape);
  const [gx, gyDim, stride] = grid1d(N * C * chunks, WG);
  dispatch(
    getPipeline('bn_bwd_eval_vec4', () => bwdEvalVec4Wgsl, { WG }),
    [gy.buffer, x.buffer, stats.buffer, weight.buffer, partial.buffer, dx.buffer],
    [gx, gyDim],
    new Uniforms().u32(N * C * chunks, stride, C, HW / 4, chunks, chunk, 0).build(),
  );
  const dweight = new Tensor([C]);
  const dbias = new Tensor([C]);
  dispatch(getPipeline('bn_bwd_finalize', () => bwdFinalizeWgsl, { WG }), [partial.buffer, dweight.buffer, dbias.buffer], perChannelGrid(C), new Uniforms().u32(N, C, chunks).build());
  partial.dispose();
  return [dx, dweight, dbias];
}

export function batchNormInputGrad(gy: Tensor, x: Tensor, stats: Tensor, weight: Tensor, dweight: Tensor, dbias: Tensor, training: boolean): Tensor {
  const [N, C, HW] = channelLayout(x.shape, 'batch_norm backward');
  const dx = new Tensor(x.shape);
  const buffers = [gy.buffer, x.buffer, stats.buffer, weight.buffer, dweight.buffer, dbias.buffer, dx.buffer];
  const invM = 1 / (N * HW);
  if (HW % 4 === 0) {
    launchPlanes('bn_bwd_dx_vec4', () => bwdDxVec4Wgsl, {}, buffers, N * C, HW / 4, (u) => u.u32(C, HW / 4).f32(invM).u32(training ? 1 : 0), 4);
  } else {
    launchPlanes('bn_bwd_dx', () => bwdDxWgsl, {}, buffers, N * C, HW, (u) => u.u32(C, HW).f32(invM).u32(training ? 1 : 0));
  }
  return dx;
}

/** Layer norm over the last D values of each row: returns y and stats [rows, 2] = (mean, rstd). */
export function layerNormForward(x: Tensor, D: number, weight: Tensor, bias: Tensor, eps: number): [Tensor, Tensor] {
  const rows = x.numel / D;
  const y = new Tensor(x.shape);
  const stats = new Tensor([rows, 2]);
  const [gx, gy, stride] = grid1d(rows, WG);
  dispatch(getPipeline('layer_norm', () => layerNormWgsl, { WG }), [x.buffer, weight.buffer, bias.buffer, y.buffer, stats.buffer], [gx, gy], new Uniforms().u32(rows, stride, D).f32(eps).build());
  return [y, stats];
}

/** Layer norm's gradients: dx, and dweight / dbias (shape `paramShape`). */
export function layerNormBackward(gy: Tensor, x: Tensor, D: number, weight: Tensor, stats: Tensor, paramShape: readonly number[]): [Tensor, Tensor, Tensor] {
  const rows = x.numel / D;
  const dx = new Tensor(x.shape);
  const gyxhat = new Tensor(x.shape);
  const [gx, gyDim, stride] = grid1d(rows, WG);
  dispatch(
    getPipeline('layer_norm_bwd', () => layerNormBackwardWgsl, { WG }),
    [gy.buffer, x.buffer, weight.buffer, stats.buffer, dx.buffer, gyxhat.buffer],
    [gx, gyDim],
    new Uniforms().u32(rows, stride, D).build(),
  );
  const flatGy = gy.viewRaw([rows, D]);
  const flatGx = gyxhat.viewRaw([rows, D]);
  const dweight = sumToShape(flatGx, [D]);
  const dbias = sumToShape(flatGy, [D]);
  flatGy.dispose();
  flatGx.dispose();
  gyxhat.dispose();
  const dw = dweight.viewRaw(paramShape);
  const db = dbias.viewRaw(paramShape);
  dweight.dispose();
  dbias.dispose();
  return [dx, dw, db];
}
