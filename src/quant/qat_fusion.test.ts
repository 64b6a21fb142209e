/**
 * The QAT conv+BN+ReLU fusions (batch_norm_relu in one kernel, the fake quantizer's backward taking the
 * ReLU's mask) give bit for bit what the separate ops give: output, input and BN affine gradients, and
 * the running statistics.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import { Tensor } from '../engine/tensor';
import { F } from '../engine/functional';
import { backward } from '../engine/autograd';
import { setDispatchRecorder } from '../engine/commands';
import { BatchNorm2d } from '../nn/norm';
import { f32Bits } from './numerics/float32';
import { packQParamsInto } from './kernels/fake_quantize';
import { fakeQuantize } from './fake_quantize_function';
import { batchNormRelu } from './qat_modules';

beforeAll(async () => {
  await getTestDevice();
});

const bits = (a: ArrayLike<number>) => Array.from(a, f32Bits);

describe('QAT conv+BN+ReLU fusions', () => {
  for (const training of [true, false]) {
    it(`batch_norm_relu then fake quantize equals batch_norm, relu, fake quantize (${training ? 'batch' : 'running'} statistics)`, async () => {
      let seed = 17;
      const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
      const shape = [3, 4, 6, 6];
      const n = 3 * 4 * 36;
      const uData = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : rand() * 3 + (i % 4) * 0.2));
      const gyData = Array.from({ length: n }, () => rand());
      const packed = packQParamsInto(Tensor.fromArray([0.02], [1]), Tensor.fromArray([0], [1], 'int32'), null);
      const results: { y: number[]; du: number[]; dw: number[]; db: number[]; mean: number[]; vars: number[]; kernels: string[] }[] = [];
      for (const fused of [false, true]) {
        const bn = new BatchNorm2d(4);
        bn.weight!.assign([0.5, 1.5, -0.75, 1]);
        bn.bias!.assign([0.1, -0.2, 0.3, 0]);
        bn.running_mean.assign([0.2, -0.1, 0, 0.4]);
        bn.running_var.assign([1.2, 0.8, 2, 0.5]);
        const u = Tensor.fromArray(uData, shape);
        u.requiresGrad = true;
        const z = fused
          ? batchNormRelu(u, bn, training)
          : F.relu(F.batch_norm(u, bn.running_mean, bn.running_var, bn.weight, bn.bias, { training, momentum: bn.momentum, eps: bn.eps }));
        const y = fakeQuantize(z, packed, -128, 127, null);
        const kernels: string[] = [];
        setDispatchRecorder((d) => kernels.push(d.pipeline.label));
        backward(y, Tensor.fromArray(gyData, shape));
        setDispatchRecorder(null);
        results.push({
          y: bits(await y.read()),
          du: bits(await u.grad!.read()),
          dw: bits(await bn.weight!.grad!.read()),
          db: bits(await bn.bias!.grad!.read()),
          mean: bits(await bn.running_mean.read()),
          vars: bits(await bn.running_var.read()),
          kernels,
        });
      }
      const [separate, fused] = results;
      expect(fused!.y).toEqual(separate!.y);
      expect(fused!.du).toEqual(separate!.du);
      expect(fused!.dw).toEqual(separate!.dw);
      expect(fused!.db).toEqual(separate!.db);
      expect(fused!.mean).toEqual(separate!.mean);
      expect(fused!.vars).toEqual(separate!.vars);
      // Something was computed: the ReLU cut some outputs, some gradient passed.
      expect(fused!.y.some((b) => b === 0)).toBe(true);
      expect(fused!.du.some((b) => b !== 0 && b !== 0x80000000)).toBe(true);
      expect(fused!.kernels.some((k) => k.includes('relu_backward'))).toBe(false);
    });
  }
});
