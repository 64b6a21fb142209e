/**
 * The CPU references' backward formulas against central finite differences of their own forward: the
 * check that the "living definitions" of the gradients are right before the kernels are held to them.
 */
import { describe, it } from 'vitest';
import { expectClose, testData } from '../testing/compare';
import { conv2dBackwardCpu, conv2dCpu } from './conv2d';
import { batchNormBackwardCpu, batchNormCpu, layerNormBackwardCpu, layerNormCpu } from './norm';
import { avgPoolBackwardCpu, avgPoolCpu, maxPoolBackwardCpu, maxPoolCpu } from './pool';
import { crossEntropyCpu, softmaxBackwardCpu, softmaxCpu } from './softmax';

/** d/dx_i of Σ r·f(x) by central differences, for every i. */
function numericGrad(x: Float32Array, f: (x: Float32Array) => ArrayLike<number>, r: ArrayLike<number>, h = 1e-2): Float32Array {
  const g = new Float32Array(x.length);
  const L = (v: Float32Array) => {
    const y = f(v);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]! * r[i]!;
    return s;
  };
  for (let i = 0; i < x.length; i++) {
    const plus = Float32Array.from(x);
    const minus = Float32Array.from(x);
    plus[i] = x[i]! + h;
    minus[i] = x[i]! - h;
    g[i] = (L(plus) - L(minus)) / (2 * h);
  }
  return g;
}

// Central differences with h = 1e-2 on float32 outputs: error O(h²) for smooth ops plus rounding.
const FD_TOL = { atol: 2e-3, rtol: 2e-3 };

describe('CPU backward formulas agree with finite differences', () => {
  it('conv2d (stride 2, padding 1, groups 2, dilation 1): dx and dw', () => {
    const xs = [1, 4, 5, 5];
    const ws = [4, 2, 3, 3];
    const p = { stride: [2, 2] as [number, number], padding: [1, 1] as [number, number], dilation: [1, 1] as [number, number], groups: 2 };
    const x = testData(100, 1);
    const w = testData(72, 2);
    const r = testData(conv2dCpu(x, xs, w, ws, null, p).y.length, 3);
    const g = conv2dBackwardCpu(r, x, xs, w, ws, p);
    expectClose(g.dx, numericGrad(x, (v) => conv2dCpu(v, xs, w, ws, null, p).y, r), FD_TOL, 'dx');
    expectClose(g.dw, numericGrad(w, (v) => conv2dCpu(x, xs, v, ws, null, p).y, r), FD_TOL, 'dw');
  });

  it('batch_norm in training: dx, dweight, dbias', () => {
    const xs = [3, 2, 2, 3];
    const x = testData(36, 4).map((v) => v * 2 + 1);
    const w = Float32Array.from([1.5, -0.7]);
    const b = Float32Array.from([0.2, 0.1]);
    const r = testData(36, 5);
    const stats = new Float32Array(2);
    const ones = Float32Array.from([1, 1]);
    const fwd = (xv: Float32Array, wv: Float32Array, bv: Float32Array) => batchNormCpu(xv, xs, stats, ones, wv, bv, true, 0.1, 1e-5);
    const ref = fwd(x, w, b);
    const g = batchNormBackwardCpu(r, x, xs, ref.mean, ref.invstd, w, true);
    expectClose(g.dx, numericGrad(x, (v) => fwd(v, w, b).y, r), FD_TOL, 'dx');
    expectClose(g.dweight, numericGrad(w, (v) => fwd(x, v, b).y, r), FD_TOL, 'dweight');
    expectClose(g.dbias, numericGrad(b, (v) => fwd(x, w, v).y, r), FD_TOL, 'dbias');
  });

  it('layer_norm: dx and dweight', () => {
    const x = testData(24, 6).map((v) => v * 3);
    const w = testData(6, 7).map((v) => v + 1);
    const b = testData(6, 8);
    const r = testData(24, 9);
    const ref = layerNormCpu(x, 6, w, b, 1e-5);
    const g = layerNormBackwardCpu(r, x, 6, w, ref.mean, ref.rstd);
    expectClose(g.dx, numericGrad(x, (v) => layerNormCpu(v, 6, w, b, 1e-5).y, r), FD_TOL, 'dx');
    expectClose(g.dweight, numericGrad(w, (v) => layerNormCpu(x, 6, v, b, 1e-5).y, r), FD_TOL, 'dweight');
  });

  it('avg_pool2d (padding, count_include_pad), adaptive_avg_pool2d and max_pool2d', () => {
    const xs = [1, 2, 5, 5];
    // Distinct values so the max is never tied within h.
    const x = Float32Array.from({ length: 50 }, (_, i) => ((i * 37) % 50) / 10);
    const p = { kernel: [3, 3] as [number, number], stride: [2, 2] as [number, number], padding: [1, 1] as [number, number] };
    const ra = testData(avgPoolCpu(x, xs, p).y.length, 10);
    expectClose(avgPoolBackwardCpu(ra, xs, p), numericGrad(x, (v) => avgPoolCpu(v, xs, p).y, ra), FD_TOL, 'avg_pool2d');
    const rb = testData(2 * 3 * 2, 11);
    expectClose(avgPoolBackwardCpu(rb, xs, null, [3, 2]), numericGrad(x, (v) => avgPoolCpu(v, xs, null, [3, 2]).y, rb), FD_TOL, 'adaptive_avg_pool2d');
    const m = maxPoolCpu(x, xs, p);
    const rm = testData(m.y.length, 12);
    expectClose(maxPoolBackwardCpu(rm, m.argmax, xs, m.shape), numericGrad(x, (v) => maxPoolCpu(v, xs, p).y, rm, 1e-3), FD_TOL, 'max_pool2d');
  });

  it('softmax and cross_entropy', () => {
    const xs = [2, 4, 3];
    const x = testData(24, 13).map((v) => v * 2);
    const r = testData(24, 14);
    expectClose(softmaxBackwardCpu(r, softmaxCpu(x, xs, 1), xs, 1), numericGrad(x, (v) => softmaxCpu(v, xs, 1), r), FD_TOL, 'softmax');
    const target = Int32Array.from([1, 0, 3, 3, 2, 1]);
    const logits = testData(24, 15).map((v) => v * 2);
    const g = crossEntropyCpu(logits, 6, 4, target, 1).dlogits;
    expectClose(g, numericGrad(logits, (v) => [crossEntropyCpu(v, 6, 4, target).loss], [1]), FD_TOL, 'cross_entropy');
  });
});
