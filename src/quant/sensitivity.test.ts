import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import { liveTensorCount, type Tensor } from '../engine/tensor';
import { prepare } from './prepare';
import { default_qat_qconfig_setter, sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter } from './setters';
import {
  SENSITIVITY_METRICS,
  analyzeSensitivity,
  parseSensitivityTable,
  quantizedNodes,
  sensitivityTable,
  sensitivityTableJson,
  sqnr,
  withFakeQuantEnabled,
  type SensitivityResult,
} from './sensitivity';
import { PLANTED_NODE, calibratedPlanted, labelledByFloat, plantedInputs, plantedNet } from './sensitivity_testing';

let inputs: Tensor[];
let result: SensitivityResult;

beforeAll(async () => {
  await getTestDevice();
  inputs = plantedInputs(2, 16);
  const model = calibratedPlanted(inputs);
  result = await analyzeSensitivity(model, await labelledByFloat(inputs));
  model.dispose();
});

afterAll(() => {
  for (const x of inputs) x.dispose();
});

describe('one-at-a-time sensitivity', () => {
  it('finds every quantized op with its fake quantizers', () => {
    const model = prepare(plantedNet(), { qconfig_setter: [default_qat_qconfig_setter] });
    const nodes = quantizedNodes(model);
    expect(nodes.map((n) => n.name)).toEqual(['quant', 'fc1', 'fc2', 'fc3']);
    expect(nodes.find((n) => n.name === 'fc2')!.fake_quantizers.sort()).toEqual(['fc2.activation_post_process', 'fc2.weight_fake_quant']);
    // The final linear keeps an int32 output: only its weight is fake-quantized.
    expect(nodes.find((n) => n.name === 'fc3')!.fake_quantizers).toEqual(['fc3.weight_fake_quant']);
    model.dispose();
  });

  it('ranks the planted outlier layer first by every metric, quantizing it alone and everything but it', () => {
    expect(result.float_accuracy).toBe(1);
    expect(result.images).toBe(32);
    for (const mode of ['only', 'all_but'] as const) {
      for (const metric of SENSITIVITY_METRICS) {
        const table = sensitivityTable(result, metric, mode);
        expect(table).toHaveLength(4);
        expect(table[0]![0], `${metric} ${mode}: ${JSON.stringify(table)}`).toBe(PLANTED_NODE);
        // Strictly first: not a tie with the runner-up.
        expect(table[0]![2], `${metric} ${mode}`).not.toBe(table[1]![2]);
      }
    }
    const fc2 = result.nodes.find((n) => n.node === PLANTED_NODE)!;
    const others = result.nodes.filter((n) => n.node !== PLANTED_NODE);
    // Quantizing the outlier layer alone loses the signal; the others alone barely matter.
    expect(fc2.only!.SQNR).toBeLessThan(5);
    for (const o of others) expect(o.only!.SQNR).toBeGreaterThan(15);
    expect(fc2.only!.accuracy!).toBeLessThan(0.8);
    expect(fc2.all_but!.accuracy!).toBeGreaterThan(fc2.only!.accuracy!);
    // Everything quantized is as bad as the outlier layer alone.
    expect(result.all_quantized.SQNR).toBeLessThan(5);
  });

  it('the table is the debug tool form, survives JSON and drives the sensitive_op setter: topk=1 makes that layer int16', () => {
    const table = parseSensitivityTable(sensitivityTableJson(sensitivityTable(result, 'L1')));
    expect(table).toEqual(sensitivityTable(result, 'L1'));
    expect(table[0]).toEqual([PLANTED_NODE, expect.any(String), expect.any(Number)]);
    const model = prepare(plantedNet(), {
      qconfig_setter: [sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter(table, { topk: 1 }), default_qat_qconfig_setter],
    });
    const rows = new Map(model.check_result.rows.map((r) => [r.target, r]));
    expect(rows.get(PLANTED_NODE)!.output_dtype).toBe('qint16');
    expect(rows.get(PLANTED_NODE)!.qconfig_source).toBe('sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter');
    expect(rows.get('fc1')!.output_dtype).toBe('qint8');
    model.dispose();
  });

  it('leaves no tensors behind and the model in VALIDATION; withFakeQuantEnabled restores the flags', async () => {
    const model = calibratedPlanted(inputs);
    const batches = await labelledByFloat(inputs);
    const fqs = [...model.modules()].filter((m) => 'fake_quant_enabled' in m) as unknown as { fake_quant_enabled: boolean }[];
    const before = liveTensorCount();
    await analyzeSensitivity(model, batches, { modes: ['only'] });
    expect(liveTensorCount()).toBe(before);
    expect(fqs.every((f) => f.fake_quant_enabled)).toBe(true);
    fqs[1]!.fake_quant_enabled = false;
    const seen = await withFakeQuantEnabled(model, (path) => path.startsWith('fc2.'), async () => fqs.map((f) => f.fake_quant_enabled));
    expect(seen.filter(Boolean)).toHaveLength(2);
    expect(fqs.map((f) => f.fake_quant_enabled)).toEqual(fqs.map((_, i) => i !== 1));
    model.dispose();
  });

  it('an infinite SQNR survives the JSON round trip', () => {
    expect(sqnr([1, 2], [1, 2])).toBe(Infinity);
    expect(parseSensitivityTable(sensitivityTableJson([['a', 'Linear', Infinity]]))).toEqual([['a', 'Linear', Infinity]]);
  });
});
