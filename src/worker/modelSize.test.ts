import { describe, expect, it } from 'vitest';
import { quantizedModelBytes } from './modelSize';

describe('deployed size of a fake-quant model', () => {
  it('counts int8/int16 weights, int32 biases (also from a folded BN) and float leftovers', () => {
    const tensors = {
      'conv1.conv.weight': { shape: [16, 1, 3, 3] },
      'conv1.conv.bias': { shape: [16] },
      'conv1.bn.weight': { shape: [16] },
      'conv1.bn.bias': { shape: [16] },
      'conv1.bn.running_mean': { shape: [16] },
      'conv1.weight_fake_quant.scale': { shape: [16] },
      'conv1.activation_post_process.activation_post_process.min_val': { shape: [] },
      'fc.weight': { shape: [10, 64] },
      'fc.bias': { shape: [10] },
      'head.weight': { shape: [2, 10] },
      'head.bias': { shape: [2] },
    };
    const layers = [{ name: 'conv1', weightDtype: 'qint8' }, { name: 'fc', weightDtype: 'qint16' }, { name: 'quant' }];
    // conv1: 144 int8 + 16 int32; fc: 640 int16 + 10 int32; head stays float: 22 × 4.
    expect(quantizedModelBytes(tensors, layers)).toBe(144 + 64 + 1280 + 40 + 88);
  });
});
