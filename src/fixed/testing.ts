/**
 * Helpers for the fixed-point tests, benchmarks and profiles: seeded random numbers, a look at padded
 * lanes, and the reference CNN as an integer model with seeded weights.
 */
import type { Tensor } from '../engine/tensor';
import { IntegerModelBuilder, quantizeWeights } from './builder';
import type { IntegerModel } from './model';

export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export function randomInts(rand: () => number, n: number, lo: number, hi: number): Int32Array {
  return Int32Array.from({ length: n }, () => lo + Math.floor(rand() * (hi - lo + 1)));
}

/** The padded channel lanes of a device tensor (they must all hold the zero point). */
export async function paddingLanes(t: Tensor, channels: number): Promise<number[]> {
  const values = await t.read();
  const cp = t.shape[t.shape.length - 1];
  const lanes: number[] = [];
  for (let i = 0; i < values.length; i++) if (i % cp >= channels) lanes.push(values[i]);
  return lanes;
}

/** The reference CNN as an integer model (conv-relu-pool twice, int32 classifier), seeded weights. */
export function referenceIntegerModel(): IntegerModel {
  const rand = seeded(1);
  const floats = (n: number, amp: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * amp);
  const w = (shape: number[], s: number[]) => quantizeWeights(floats(shape.reduce((a, c) => a * c, 1), 0.3), shape[0]!, s, [0]);
  const b = new IntegerModelBuilder('float');
  b.input('x', [1, 28, 28]);
  b.quantize('quant', 'x', { scale: 0.02, zero_point: 0, dtype: 'qint8' });
  const s1 = new Array<number>(16).fill(0.004);
  b.conv2d('conv1', 'quant', { weight: w([16, 1, 3, 3], s1), weight_shape: [16, 1, 3, 3], weight_scale: s1, bias: floats(16, 0.1), padding: 1, output: { scale: 0.01, zero_point: 0, dtype: 'qint8' }, activation: 'relu' });
  b.max_pool2d('pool1', 'conv1', { kernel_size: 2 });
  const s2 = new Array<number>(32).fill(0.003);
  b.conv2d('conv2', 'pool1', { weight: w([32, 16, 3, 3], s2), weight_shape: [32, 16, 3, 3], weight_scale: s2, bias: floats(32, 0.1), padding: 1, output: { scale: 0.01, zero_point: 0, dtype: 'qint8' }, activation: 'relu' });
  b.max_pool2d('pool2', 'conv2', { kernel_size: 2 });
  b.flatten('flatten', 'pool2');
  const s3 = new Array<number>(10).fill(0.002);
  b.linear('classifier', 'flatten', { weight: w([10, 1568], s3), weight_shape: [10, 1568], weight_scale: s3, bias: floats(10, 0.1), output: 'int32' });
  b.dequantize('dequant', 'classifier');
  b.output('dequant');
  return b.build();
}
