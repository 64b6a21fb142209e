import { describe, expect, it } from 'vitest';
import golden from '../../golden/pytorch_quant.json';
import { compareToGolden, runQuantizedConv2dCaseCpu, type QuantizedConv2dCase } from './golden';

const cases = (golden as { quantized_conv2d: QuantizedConv2dCase[] }).quantized_conv2d;

describe('quantized_conv2d golden (PyTorch qnnpack), CPU reference', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThan(0));
  cases.forEach((c, k) => {
    it(`case ${k}: float requant mode is exact`, () => {
      const r = compareToGolden(c, runQuantizedConv2dCaseCpu(c, 'float'), 'float');
      expect(r.message).toBe(`exact (${c.y_int.length} outputs)`);
    });
    it(`case ${k}: multiplier/shift mode is within 1 LSB`, () => {
      const r = compareToGolden(c, runQuantizedConv2dCaseCpu(c, 'multiplier'), 'multiplier');
      console.log(`case ${k} multiplier: ${r.message}`);
      expect(r.maxDiff).toBeLessThanOrEqual(1);
    });
  });
});
