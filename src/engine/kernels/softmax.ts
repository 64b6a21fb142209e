/**
 * Softmax along a dimension, cross-entropy over logits [N, C] with int32 targets, and dropout.
 */
import softmaxWgsl from '../../../shaders/softmax.wgsl?raw';
import softmaxBackwardWgsl from '../../../shaders/softmax_backward.wgsl?raw';
import crossEntropyWgsl from '../../../shaders/cross_entropy.wgsl?raw';
import crossEntropyBackwardWgsl from '../../../shaders/cross_entropy_backward.wgsl?raw';
import dropoutWgsl from '../../../shaders/dropout.wgsl?raw';
import { Tensor } from '../tensor';
import { dispatch } from '../commands';
import { getPipeline } from '../pipelines';
import { grid1d } from '../grid';
import { Uniforms, launch1d } from './launch';
import { sumRows } from './elementwise';

const WG = 64;

/** [outer, D, inner] of a shape around `dim`. */
export function aroundDim(shape: readonly number[], dim: number): [number, number, number] {
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  return [outer, shape[dim]!, inner];
}

export function softmaxForward(x: Tensor, dim: number): Tensor {
  const [outer, D, inner] = aroundDim(x.shape, dim);
  const y = new Tensor(x.shape);
  const [gx, gy, stride] = grid1d(outer * inner, WG);
  dispatch(getPipeline('softmax', () => softmaxWgsl, { WG }), [x.buffer, y.buffer], [gx, gy], new Uniforms().u32(outer * inner, stride, D, inner).build());
  return y;
}

export function softmaxBackward(gyT: Tensor, y: Tensor, dim: number): Tensor {
  const [outer, D, inner] = aroundDim(y.shape, dim);
  const dx = new Tensor(y.shape);
  const [gx, gy, stride] = grid1d(outer * inner, WG);
  dispatch(getPipeline('softmax_bwd', () => softmaxBackwardWgsl, { WG }), [gyT.buffer, y.buffer, dx.buffer], [gx, gy], new Uniforms().u32(outer * inner, stride, D, inner).build());
  return dx;
}

export interface CrossEntropyResult {
  /** The mean loss, shape []. */
  loss: Tensor;
  /** softmax of the logits [N, C] (for the backward). */
  probs: Tensor;
  /** [2, N]: per-row loss, then 1 where the arg-max logit is the target. */
  rows: Tensor;
}

export function crossEntropyForward(logits: Tensor, target: Tensor): CrossEntropyResult {
  const [N, C] = logits.shape as [number, number];
  const probs = new Tensor([N, C]);
  const rows = new Tensor([2, N]);
  const [gx, gy, stride] = grid1d(N, WG);
  dispatch(getPipeline('cross_entropy', () => crossEntropyWgsl, { WG }), [logits.buffer, target.buffer, probs.buffer, rows.buffer], [gx, gy], new Uniforms().u32(N, stride, C).build());
  const loss = sumRows(rows, 1, N, 1 / N, []);
  return { loss, probs, rows };
}

export function crossEntropyBackward(probs: Tensor, target: Tensor, gy: Tensor): Tensor {
  const [N, C] = probs.shape as [number, number];
  const dx = new Tensor([N, C]);
  launch1d('cross_entropy_bwd', () => crossEntropyBackwardWgsl, [probs.buffer, target.buffer, gy.buffer, dx.buffer], N * C, (u) => u.u32(C).f32(1 / N));
  return dx;
}

export function dropoutMask(x: Tensor, p: number, seed: number): Tensor {
  const y = new Tensor(x.shape);
  launch1d('dropout', () => dropoutWgsl, [x.buffer, y.buffer], x.numel, (u) => u.u32(seed).f32(p, 1 / (1 - p)));
  return y;
}
