import { describe, expect, it } from 'vitest';
import { histogramOf, type WeightsCheckpoint } from './histogram';

const f32 = (values: number[]) => new Float32Array(values);

describe('weight histograms', () => {
  it('counts every weight and draws the grid of the widest channel', () => {
    const checkpoint: WeightsCheckpoint = {
      tensors: {
        'fc.weight': { shape: [2, 3], data: f32([-1, 0, 1, 0.5, 0.25, 0]) },
        'fc.weight_fake_quant.scale': { shape: [2], data: f32([1 / 127, 0.5 / 127]) },
        'fc.weight_fake_quant.zero_point': { shape: [2], data: f32([0, 0]) },
      },
    };
    const h = histogramOf(checkpoint, { stage: 'qat', runId: 'r', layer: 'fc', kind: 'weight', bins: 8 });
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(6);
    expect(h.edges).toHaveLength(9);
    expect([h.min, h.max]).toEqual([-1, 1]);
    expect(h.grid).toMatchObject({ quantMin: -128, quantMax: 127, zeroPoint: 0, dtype: 'qint8, channel 0 of 2' });
    expect(h.grid!.scale).toBeCloseTo(1 / 127, 7);
    // The clip range (-128/127 .. 1) is inside the histogram's span.
    expect(h.edges[0]).toBeCloseTo(-128 / 127, 6);
  });

  it('folds a fused conv-bn weight with the running statistics', () => {
    const checkpoint: WeightsCheckpoint = {
      tensors: {
        'c.conv.weight': { shape: [2, 1], data: f32([1, 1]) },
        'c.bn.weight': { shape: [2], data: f32([2, 3]) },
        'c.bn.running_var': { shape: [2], data: f32([4 - 1e-5, 1 - 1e-5]) },
      },
    };
    const h = histogramOf(checkpoint, { stage: 'float', runId: 'r', layer: 'c', kind: 'weight', bins: 4 });
    expect(h.min).toBeCloseTo(1, 5);
    expect(h.max).toBeCloseTo(3, 5);
    expect(h.grid).toBeNull();
  });

  it('names the layers that have weights when asked for one that has none', () => {
    const checkpoint: WeightsCheckpoint = { tensors: { 'conv1.conv.weight': { shape: [1], data: f32([1]) } } };
    expect(() => histogramOf(checkpoint, { stage: 'float', runId: 'r', layer: 'pool1', kind: 'weight', bins: 4 })).toThrow(
      "Layer 'pool1' has no weight in this checkpoint (layers with weights: conv1)",
    );
  });
});
