import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import type { Tensor } from '../engine/tensor';
import { prepare } from './prepare';
import { default_qat_qconfig_setter, sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter } from './setters';
import { analyzeSensitivity, sensitivityTable, type SensitivityBatch } from './sensitivity';
import { int16Table, measureAccuracy, modelSize, searchMixedPrecision, type CandidateMeasure } from './mixed_precision';
import { PLANTED_NODE, calibrateOn, calibratedPlanted, labelledByFloat, plantedInputs, plantedNet } from './sensitivity_testing';

describe('greedy search (measurements given)', () => {
  // Accuracy 0.9 + 0.05 for each of b and c in int16; a and d do not matter.
  const evaluate = async (nodes: readonly string[]): Promise<CandidateMeasure> => ({
    accuracy: 0.9 + (nodes.includes('b') ? 0.05 : 0) + (nodes.includes('c') ? 0.05 : 0),
    measured_on: 'fixed',
    size: { weight_bytes: 100, activation_bytes: 10 + 4 * nodes.length },
  });
  const table = [['a', 'Conv2d', 9], ['b', 'Conv2d', 8], ['c', 'Linear', 7], ['d', 'Linear', 1]] as const;

  it('adds ops in table order until the target holds, then drops the ones not needed', async () => {
    const r = await searchMixedPrecision({ table, float_accuracy: 1, target: 0.01, evaluate });
    expect(r.reached).toBe(true);
    expect(r.int16).toEqual(['b', 'c']);
    expect(r.candidates.map((c) => c.int16.join(','))).toEqual(['', 'a', 'a,b', 'a,b,c', 'a,c', 'b,c']);
    expect(r.baseline.accuracy).toBeCloseTo(0.9);
    expect(r.cost.accuracy_drop).toBeCloseTo(0);
    expect(r.cost.activation_bytes).toBe(8);
    expect(r.setter_code).toContain('topk: 2');
  });

  it('stops at all int8 when the baseline is within the target, and reports an unreachable target', async () => {
    expect((await searchMixedPrecision({ table, float_accuracy: 0.9, target: 0.01, evaluate })).int16).toEqual([]);
    const r = await searchMixedPrecision({ table, float_accuracy: 1.2, target: 0.01, evaluate, max_nodes: 3 });
    expect(r.reached).toBe(false);
    expect(r.int16).toEqual(['a', 'b', 'c']);
  });
});

describe('mixed precision on the planted model (fixed-point accuracy)', () => {
  let inputs: Tensor[];
  let batches: SensitivityBatch[];

  beforeAll(async () => {
    await getTestDevice();
    inputs = plantedInputs(2, 16);
    batches = await labelledByFloat(inputs);
  });

  afterAll(() => {
    for (const x of inputs) x.dispose();
  });

  // The QAT template's min/max observers, so the outlier sets the int8 scale (an MSE observer could clip it).
  it('int16 on the planted layer alone brings the fixed-point accuracy back', async () => {
    const calibrated = calibratedPlanted(inputs);
    const table = sensitivityTable(await analyzeSensitivity(calibrated, batches), 'L1');
    calibrated.dispose();
    const evaluate = async (nodes: readonly string[]): Promise<CandidateMeasure> => {
      const model = prepare(plantedNet(), {
        qconfig_setter: [sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter(int16Table(nodes), { topk: nodes.length }), default_qat_qconfig_setter],
      });
      try {
        calibrateOn(model, inputs);
        return { ...(await measureAccuracy(model, batches)), size: modelSize(model, inputs[0]!) };
      } finally {
        model.dispose();
      }
    };
    const r = await searchMixedPrecision({ table, float_accuracy: 1, target: 0.05, evaluate });
    expect(r.baseline.measured_on).toBe('fixed');
    expect(r.baseline.accuracy).toBeLessThan(0.8);
    expect(r.reached).toBe(true);
    expect(r.int16).toEqual([PLANTED_NODE]);
    expect(r.chosen.measured_on).toBe('fixed');
    expect(r.chosen.accuracy).toBeGreaterThanOrEqual(0.95);
    // fc2's 8 outputs go from 1 to 2 bytes; the weights stay int8.
    expect(r.cost.activation_bytes).toBe(8);
    expect(r.cost.weight_bytes).toBe(0);
    // quant 4 + fc1 8 + fc2 8 bytes of int8 activations, fc3 3 × int32.
    expect(r.baseline.size.activation_bytes).toBe(4 + 8 + 8 + 12);
    expect(r.baseline.size.weight_bytes).toBe(32 + 8 * 4 + 64 + 8 * 4 + 24 + 3 * 4);
  });
});
