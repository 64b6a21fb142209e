import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import { set_fake_quantize } from '../quant/fake_quant_state';
import { FakeQuantState } from '../quant/types';
import { convertedExample, testImages } from '../export/testing_models';
import { compareFakeAndFixed } from './compare_model';

beforeAll(async () => {
  await getTestDevice();
});

describe('fake quant (the QAT model on the engine) vs fixed point, per layer', () => {
  for (const id of ['reference_cnn', 'residual'] as const) {
    it(`${id}: quantized layers part by at most 1 LSB; logits keep a high SQNR`, async () => {
      const converted = await convertedExample(id, 'multiplier');
      const qat = converted.qat;
      qat.eval();
      set_fake_quantize(qat, FakeQuantState.VALIDATION);
      const r = await compareFakeAndFixed(qat, converted, testImages(8).images, 8);
      expect(r.backend).toBe('webgpu');
      const byNode = new Map(r.layers.map((l) => [l.node, l]));
      const quantized = r.layers.filter((l) => l.dtype === 'qint8');
      expect(quantized.length).toBeGreaterThanOrEqual(4);
      for (const l of quantized) {
        // A fused add rounds its two terms separately (the QAT model once), and its inputs may already
        // be a step apart: 2 LSB there, 1 elsewhere.
        const fusedAdd = converted.model.ops.some((op) => op.name === l.value && op.inputs.length > 1);
        expect(l.maxLsb, l.node).toBeLessThanOrEqual(fusedAdd ? 2.0001 : 1.0001);
        // ...and two separately rounded terms differ from one rounded sum on a good part of the outputs.
        expect(l.meanAbsLsb, l.node).toBeLessThan(fusedAdd ? 0.3 : 0.02);
      }
      const classifier = byNode.get('classifier')!;
      expect(classifier.dtype).toBe('qint32');
      expect(classifier.sqnrDb).toBeGreaterThan(35);
      expect(byNode.get('dequant')!.sqnrDb).toBeGreaterThan(35);
    });
  }
});
