/**
 * Every backward rule of the engine, in one table (a reviewer sees each gradient here, as in tinygrad).
 *
 * A rule gets what its op saved, the gradient of the op's output `gy`, and which inputs need a gradient;
 * it returns one gradient per input (in the order the op passed them to `record`), or null. Rules call
 * kernels directly (never F), so nothing they do is recorded. A rule may return `gy` itself or a view
 * of it: the tape copies where a gradient is shared. To add an op, see ADDING_AN_OP.md.
 */
import type { Tensor } from './tensor';
import type { Conv2dGeometry } from './kernels/conv2d';
import type { PoolGeometry } from './kernels/pool';
import { channelSums, conv2dInputGrad, conv2dWeightGrad } from './kernels/conv2d';
import { matmulKernel } from './kernels/matmul';
import { batchNormEvalBackward, batchNormInputGrad, batchNormParamGrads, layerNormBackward } from './kernels/norm';
import { avgPoolBackward, maxPoolBackward } from './kernels/pool';
import { crossEntropyBackward, dropoutMask, softmaxBackward } from './kernels/softmax';
import { binary, contiguousStrides, permuteCopy, stridedCopy, sumToShape } from './kernels/elementwise';
import { Tensor as TensorClass } from './tensor';
import { fakeQuantizeBackward } from '../quant/kernels/fake_quantize';
import { lsqBackward } from '../quant/kernels/lsq';

/** What each op keeps for its backward. The key is the op name given to `record`. */
export interface SavedByOp {
  conv2d: { x: Tensor; weight: Tensor; geometry: Conv2dGeometry };
  /** x viewed as [rows, in]; the input gradient is shaped like the original x. */
  linear: { x2d: Tensor; weight: Tensor; xShape: readonly number[] };
  matmul: { a: Tensor; b: Tensor };
  batch_norm: { x: Tensor; stats: Tensor; weight: Tensor; training: boolean };
  /** relu(batch_norm(x)) from one kernel (QAT conv+BN+ReLU); y is the output, the ReLU's mask. */
  batch_norm_relu: { x: Tensor; stats: Tensor; weight: Tensor; training: boolean; y: Tensor };
  layer_norm: { x: Tensor; D: number; weight: Tensor; stats: Tensor; paramShape: readonly number[] };
  relu: { y: Tensor };
  relu6: { x: Tensor };
  /** y: the pooled output (a fused ReLU backward masks by it). */
  max_pool2d: { argmax: Tensor; geometry: PoolGeometry; y: Tensor };
  avg_pool2d: { geometry: PoolGeometry };
  add: { aShape: readonly number[]; bShape: readonly number[] };
  sub: { aShape: readonly number[]; bShape: readonly number[] };
  mul: { a: Tensor; b: Tensor };
  div: { aShape: readonly number[]; b: Tensor; y: Tensor };
  sqrt: { y: Tensor };
  cat: { shapes: readonly (readonly number[])[]; dim: number };
  reshape: { inputShape: readonly number[] };
  permute: { dims: readonly number[] };
  dropout: { p: number; seed: number };
  softmax: { y: Tensor; dim: number };
  cross_entropy: { probs: Tensor; target: Tensor };
  /** packed: per channel (scale, 1/scale, zero_point, zero_point) as the forward used them; axis null per tensor. */
  fake_quantize: { x: Tensor; packed: Tensor; quantMin: number; quantMax: number; axis: number | null };
  learnable_fake_quantize: {
    x: Tensor;
    scale: Tensor;
    zeroPoint: Tensor;
    quantMin: number;
    quantMax: number;
    axis: number | null;
    gradFactor: number;
  };
}

type Grads = readonly (Tensor | null)[];

export type BackwardRule<K extends keyof SavedByOp> = (saved: SavedByOp[K], gy: Tensor, needs: readonly boolean[]) => Grads;

/** a · b reduced to `shape` (the gradient of one side of a broadcast multiply). */
function mulSumTo(gy: Tensor, other: Tensor, shape: readonly number[]): Tensor {
  const full = binary('mul', gy, other);
  const out = sumToShape(full, shape);
  if (out !== full) full.dispose();
  return out;
}

export const backwardRules: { [K in keyof SavedByOp]: BackwardRule<K> } = {
  conv2d: ({ x, weight, geometry }, gy, [dx, dw, db]) => [
    dx ? conv2dInputGrad(gy, weight, geometry) : null,
    dw ? conv2dWeightGrad(gy, x, geometry) : null,
    db ? channelSums(gy) : null,
  ],

  // y = x Wᵀ + b: dx = gy W, dW = gyᵀ x, db = Σ_rows gy.
  linear: ({ x2d, weight, xShape }, gy, [dx, dw, db]) => {
    const out = weight.shape[0]!;
    const gy2d = gy.viewRaw([x2d.shape[0]!, out]);
    const grads = [
      dx ? matmulKernel(gy2d, weight, { outShape: xShape }) : null,
      dw ? matmulKernel(gy2d, x2d, { transA: true }) : null,
      db ? sumToShape(gy2d, [out]) : null,
    ];
    gy2d.dispose();
    return grads;
  },

  // C = A B (batched, broadcast): dA = gy Bᵀ, dB = Aᵀ gy, each summed over broadcast batch dims.
  matmul: ({ a, b }, gy, [da, dbNeeded]) => {
    const grads: (Tensor | null)[] = [null, null];
    if (da) {
      const full = matmulKernel(gy, b, { transB: true });
      grads[0] = sumToShape(full, a.shape);
      if (grads[0] !== full) full.dispose();
    }
    if (dbNeeded) {
      const full = matmulKernel(a, gy, { transA: true });
      grads[1] = sumToShape(full, b.shape);
      if (grads[1] !== full) full.dispose();
    }
    return grads;
  },

  // Training: dx = w·invstd·(gy - mean(gy) - x̂·mean(gy·x̂)); dw = Σ gy·x̂; db = Σ gy.
  // Evaluation: dx = w·invstd·gy, computed in the pass that sums (one read of gy and x instead of two).
  batch_norm: ({ x, stats, weight, training }, gy, [dx, dw, db]) => {
    const merged = !training && dx ? batchNormEvalBackward(gy, x, stats, weight) : null;
    if (merged) {
      const [gx, dweight, dbias] = merged;
      if (!dw) dweight.dispose();
      if (!db) dbias.dispose();
      return [gx, dw ? dweight : null, db ? dbias : null];
    }
    const [dweight, dbias] = batchNormParamGrads(gy, x, stats);
    return [dx ? batchNormInputGrad(gy, x, stats, weight, dweight, dbias, training) : null, dw ? dweight : null, db ? dbias : null];
  },

  // The ReLU's backward, then the batch norm's.
  batch_norm_relu: (saved, gy, needs) => {
    const g = binary('relu_backward', gy, saved.y);
    const grads = backwardRules.batch_norm(saved, g, needs);
    g.dispose();
    return grads;
  },

  layer_norm: ({ x, D, weight, stats, paramShape }, gy) => layerNormBackward(gy, x, D, weight, stats, paramShape),

  // PyTorch's threshold_backward on the output: the gradient passes where y > 0.
  relu: ({ y }, gy) => [binary('relu_backward', gy, y)],

  // hardtanh_backward: the gradient passes where 0 < x < 6.
  relu6: ({ x }, gy) => [binary('relu6_backward', gy, x)],

  max_pool2d: ({ argmax, geometry }, gy) => [maxPoolBackward(gy, argmax, geometry)],

  avg_pool2d: ({ geometry }, gy) => [avgPoolBackward(gy, geometry)],

  add: ({ aShape, bShape }, gy) => [sumToShape(gy, aShape), sumToShape(gy, bShape)],

  sub: ({ aShape, bShape }, gy, [, dbNeeded]) => {
    if (!dbNeeded) return [sumToShape(gy, aShape), null];
    const neg = binary('axpby', gy, gy, -1, 0);
    const gb = sumToShape(neg, bShape);
    if (gb !== neg) neg.dispose();
    return [sumToShape(gy, aShape), gb];
  },

  mul: ({ a, b }, gy, [da, dbNeeded]) => [da ? mulSumTo(gy, b, a.shape) : null, dbNeeded ? mulSumTo(gy, a, b.shape) : null],

  // y = a / b: da = gy / b, db = -gy · y / b.
  div: ({ aShape, b, y }, gy, [da, dbNeeded]) => {
    const grads: (Tensor | null)[] = [null, null];
    const gyOverB = binary('div', gy, b);
    if (da) grads[0] = sumToShape(gyOverB, aShape);
    if (dbNeeded) {
      const full = binary('mul', gyOverB, y);
      const neg = binary('axpby', full, full, -1, 0);
      full.dispose();
      grads[1] = sumToShape(neg, b.shape);
      if (grads[1] !== neg) neg.dispose();
    }
    if (grads[0] !== gyOverB) gyOverB.dispose();
    return grads;
  },

  // y = √x: dx = gy / (2y).
  sqrt: ({ y }, gy) => {
    const q = binary('div', gy, y);
    const dx = binary('axpby', q, q, 0.5, 0);
    q.dispose();
    return [dx];
  },

  // The gradient of each input is its slice of gy along `dim`.
  cat: ({ shapes, dim }, gy, needs) => {
    const strides = contiguousStrides(gy.shape);
    let offset = 0;
    return shapes.map((shape, i) => {
      const start = offset;
      offset += shape[dim]!;
      if (!needs[i]) return null;
      const slice = new TensorClass(shape);
      stridedCopy(gy, { offset: start * strides[dim]!, strides }, slice, { offset: 0, strides: contiguousStrides(shape) }, shape);
      return slice;
    });
  },

  reshape: ({ inputShape }, gy) => [gy.viewRaw(inputShape)],

  permute: ({ dims }, gy) => {
    const inverse = new Array<number>(dims.length);
    dims.forEach((d, i) => (inverse[d] = i));
    return [permuteCopy(gy, inverse)];
  },

  // The same mask, regenerated from the seed.
  dropout: ({ p, seed }, gy) => [dropoutMask(gy, p, seed)],

  softmax: ({ y, dim }, gy) => [softmaxBackward(gy, y, dim)],

  // Mean reduction: (softmax - onehot) · gy / N.
  cross_entropy: ({ probs, target }, gy) => [crossEntropyBackward(probs, target, gy)],

  // Straight-through estimator: gy where quant_min <= zp + round(x / scale) <= quant_max, else 0.
  fake_quantize: ({ x, packed, quantMin, quantMax, axis }, gy) => [fakeQuantizeBackward(x, gy, packed, quantMin, quantMax, axis)],

  // LSQ (PyTorch's _fake_quantize_learnable_*_backward): STE for x; scale and zero-point gradients summed
  // per tensor or per channel, times grad_factor.
  learnable_fake_quantize: ({ x, scale, zeroPoint, quantMin, quantMax, axis, gradFactor }, gy, [dx, ds, dz]) => {
    const g = lsqBackward(x, gy, scale, zeroPoint, quantMin, quantMax, axis, gradFactor);
    const keepIf = (t: Tensor, needed: boolean | undefined) => (needed ? t : (t.dispose(), null));
    return [keepIf(g.dx, dx), keepIf(g.dscale, ds), keepIf(g.dzero_point, dz)];
  },
};

/**
 * Rules for an op together with the op that produced its (single) input, used by the tape when that
 * input feeds nothing else: one kernel instead of two, and the intermediate gradient never exists.
 * A fused rule returns the gradients of the producer's inputs. Keyed [consumer][producer].
 */
export type FusedRule<K extends keyof SavedByOp, P extends keyof SavedByOp> = (
  saved: SavedByOp[K],
  producer: SavedByOp[P],
  gy: Tensor,
  needs: readonly boolean[],
) => Grads;

export const fusedBackwardRules: { [K in keyof SavedByOp]?: { [P in keyof SavedByOp]?: FusedRule<K, P> } } = {
  // pool(relu(x)): the ReLU's mask at the element a window chose is "pooled value > 0".
  max_pool2d: {
    relu: ({ argmax, geometry, y }, _relu, gy) => [maxPoolBackward(gy, argmax, geometry, y)],
  },
  // fake_quantize(relu(x)) (a QAT conv+ReLU's output quantizer): the straight-through mask, then the
  // ReLU's (fake_quantize's input is the ReLU's output), in one kernel.
  fake_quantize: {
    relu: ({ x, packed, quantMin, quantMax, axis }, _relu, gy) => [fakeQuantizeBackward(x, gy, packed, quantMin, quantMax, axis, true)],
    batch_norm_relu: ({ x, packed, quantMin, quantMax, axis }, bn, gy, needs) => {
      const g = fakeQuantizeBackward(x, gy, packed, quantMin, quantMax, axis, true);
      const grads = backwardRules.batch_norm(bn, g, needs);
      g.dispose();
      return grads;
    },
  },
};
