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
        // One step apart at most where a layer's own rounding differs; two once an input was already a
        // step apart (deeper layers of the residual net). Rarely either way.
        expect(l.maxLsb, l.node).toBeLessThanOrEqual(id === 'residual' ? 2.0001 : 1.0001);
        expect(l.meanAbsLsb, l.node).toBeLessThan(0.03);
      }
      const classifier = byNode.get('classifier')!;
      expect(classifier.dtype).toBe('qint32');
      expect(classifier.sqnrDb).toBeGreaterThan(35);
      expect(byNode.get('dequant')!.sqnrDb).toBeGreaterThan(35);
    });
  }
});
