import { beforeAll, describe, expect, it } from 'vitest';
import golden from '../../golden/pytorch_quant.json';
import { getTestDevice } from '../testing/gpu';
import { checkQuantizedConv2dCase, compareToGolden, runQuantizedConv2dCaseCpu, type QuantizedConv2dCase } from './golden';
import { makeRequantParams } from './requant';

const cases = (golden as { quantized_conv2d: QuantizedConv2dCase[] }).quantized_conv2d;

beforeAll(async () => {
  await getTestDevice();
});

describe('quantized_conv2d golden (PyTorch 1.13 qnnpack)', () => {
  it('has cases, with and without ReLU', () => {
    expect(cases.length).toBeGreaterThan(0);
    expect(cases.some((c) => c.relu)).toBe(true);
  });

  for (const backend of ['cpu', 'gpu'] as const) {
    cases.forEach((c, k) => {
      it(`${backend} case ${k}: float requant mode is exact`, async () => {
        const r = await checkQuantizedConv2dCase(c, { backend, mode: 'float' });
        expect(r.message).toBe(`exact (${c.y_int.length} outputs)`);
        expect(r.passed).toBe(true);
      });
      it(`${backend} case ${k}: multiplier/shift mode is within 1 LSB`, async () => {
        const r = await checkQuantizedConv2dCase(c, { backend, mode: 'multiplier' });
        console.log(`${backend} case ${k} multiplier: ${r.message}`);
        expect(r.maxDiff).toBeLessThanOrEqual(1);
        expect(r.passed).toBe(true);
      });
    });
  }

  it('the comparison fails on a wrong answer', () => {
    const c = cases[0];
    const wrong = Int32Array.from(c.y_int);
    wrong[3] += 2;
    const r = compareToGolden(c, wrong, 'multiplier');
    expect(r.passed).toBe(false);
    expect(r.maxDiff).toBe(2);
    expect(compareToGolden(c, wrong.subarray(1), 'float').passed).toBe(false);
  });

  it('double-precision requantization would not match PyTorch exactly (the golden tells the modes apart)', () => {
    // The multiplier mode already differs in case 0; the float mode is the one that is exact.
    const c = cases[0];
    expect(compareToGolden(c, runQuantizedConv2dCaseCpu(c, 'multiplier'), 'float').passed).toBe(false);
    expect(makeRequantParams(c.x_scale, [c.w_scale], c.y_scale).scale[0]).toBe(Math.fround(Math.fround(Math.fround(0.01) * Math.fround(0.03)) * Math.fround(1 / Math.fround(0.05))));
  });
});
