import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import type { Tensor } from '../engine/tensor';
import { layerSqnr, type LayerSqnrResult } from './layer_sqnr';
import { PLANTED_NODE, calibratedPlanted, plantedInputs } from './sensitivity_testing';

let inputs: Tensor[];
let result: LayerSqnrResult;

beforeAll(async () => {
  await getTestDevice();
  inputs = plantedInputs(2, 8);
  const model = calibratedPlanted(inputs);
  result = await layerSqnr(model, inputs);
  model.dispose();
});

afterAll(() => {
  for (const x of inputs) x.dispose();
});

describe('per-layer SQNR (float vs fake quant vs fixed point)', () => {
  it('measures weights, activations and the fixed-point values of every quantized op', () => {
    expect(result.fixed.available).toBe(true);
    expect(result.layers.map((l) => l.node)).toEqual(['quant', 'fc1', 'fc2', 'fc3']);
    for (const l of result.layers) {
      expect(l.activation_sqnr, l.node).not.toBeNull();
      expect(l.fixed_sqnr, l.node).not.toBeNull();
      if (l.node !== 'quant') expect(l.weight_sqnr!, l.node).toBeGreaterThan(20);
    }
    expect(result.layers.find((l) => l.node === 'quant')!.weight_sqnr).toBeNull();
    // The final linear has an int32 output: no output fake quantizer.
    expect(result.layers.find((l) => l.node === 'fc3')!.local_sqnr).toBeNull();
    expect(result.layers.find((l) => l.node === 'fc1')!.output_numel).toBe(8);
  });

  it('the SQNR collapses after the planted outlier layer, in fake quant and in fixed point alike', () => {
    const by = (name: string) => result.layers.find((l) => l.node === name)!;
    for (const l of result.layers) {
      // Fixed point follows fake quant (they differ by rounding only).
      expect(Math.abs(l.fixed_sqnr! - l.activation_sqnr!), l.node).toBeLessThan(1);
    }
    for (const name of ['quant', 'fc1']) expect(by(name).activation_sqnr!).toBeGreaterThan(30);
    // fc2's own SQNR looks fine (the outlier dominates its signal); what follows it has lost the signal.
    expect(by(PLANTED_NODE).activation_sqnr!).toBeGreaterThan(30);
    expect(by('fc3').activation_sqnr!).toBeLessThan(5);
  });
});
