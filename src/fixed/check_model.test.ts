import { describe, expect, it } from 'vitest';
import { evaluate } from '../dsl/evaluate';
import { findExample } from '../dsl/examples/index';
import { prepareStageModel } from '../dsl/stage';
import { convertedExample } from '../export/testing_models';
import { IntegerModelBuilder, quantizeWeights } from './builder';
import { check_model } from './check_model';
import { get_march, getMarch, March, MARCH_PROFILES, set_march } from './march';

describe('march profiles', () => {
  it('has an int8-only profile and an int8/int16 profile under Horizon\'s names', () => {
    expect(March.BERNOULLI2).toBe('bernoulli2');
    expect(MARCH_PROFILES.bernoulli2.activationDtypes).toEqual(['int8']);
    expect(MARCH_PROFILES.bayes.activationDtypes).toEqual(['int8', 'int16']);
    expect(getMarch('BAYES').name).toBe('bayes');
    expect(() => getMarch('nash')).toThrow(/unknown march "nash".*'bernoulli2' or 'bayes'/);
    expect(get_march()).toBe('bayes');
    set_march(March.BERNOULLI2);
    expect(get_march()).toBe('bernoulli2');
    set_march('bayes');
  });
});

describe('check_model', () => {
  it('reference CNN passes both profiles, with the layer table and the text report', async () => {
    const converted = await convertedExample('reference_cnn');
    for (const march of ['bernoulli2', 'bayes'] as const) {
      const r = await check_model(converted, march);
      expect(r.passed, r.text).toBe(true);
      expect(r.violations.filter((v) => v.severity === 'error')).toEqual([]);
      expect(r.layers.map((l) => l.name)).toEqual(['quant', 'conv1', 'pool1', 'conv2', 'pool2', 'flatten', 'classifier', 'dequant']);
      const conv2 = r.layers.find((l) => l.name === 'conv2')!;
      expect(conv2).toMatchObject({ input_dtypes: ['qint8'], weight_dtype: 'qint8', output_dtype: 'qint8', output_shape: [32, 14, 14], kernel: '3x3', stride: '1x1' });
      expect(conv2.macs).toBe(32 * 14 * 14 * 16 * 9);
      expect(r.layers.find((l) => l.name === 'classifier')!.output_dtype).toBe('qint32');
      expect(r.text).toContain('This model is supported!');
      expect(r.text).toContain(`march: ${march}`);
      expect(r.text).toMatch(/conv2\s+conv2d\s+qint8\s+qint8\s+qint8\s+\[32, 14, 14\]\s+3x3\s+1x1\s+903168/);
    }
  });

  it('the classifier\'s 10 output channels waste lanes: an alignment warning with the fix', async () => {
    const r = await check_model(await convertedExample('reference_cnn'), 'bayes');
    const w = r.violations.find((v) => v.layer === 'classifier' && v.rule === 'alignment')!;
    expect(w.severity).toBe('warning');
    expect(w.message).toMatch(/10 output channels occupy 12 lanes: 17% of its output lanes idle/);
    expect(w.fix).toMatch(/multiple of 4/);
    // conv1 reads the 1-channel image: that is the input's nature, not a layer to fix.
    expect(r.violations.some((v) => v.layer === 'conv1' && v.rule === 'alignment')).toBe(false);
  });

  it('int16 model: errors on the int8-only profile naming each layer; on bayes, accumulator overflow warnings', async () => {
    const converted = await convertedExample('int16');
    const b2 = await check_model(converted, 'bernoulli2');
    expect(b2.passed).toBe(false);
    const dtypeErrors = b2.violations.filter((v) => v.rule === 'dtype' && v.severity === 'error').map((v) => v.layer);
    expect(dtypeErrors).toEqual(expect.arrayContaining(['quant', 'conv1', 'pool1', 'conv2', 'pool2', 'flatten']));
    expect(b2.violations.filter((v) => v.message.startsWith('int16 weights')).map((v) => v.layer)).toEqual(['conv1', 'conv2', 'classifier']);
    expect(b2.violations.find((v) => v.layer === 'conv1' && v.rule === 'dtype')!.fix).toMatch(/out_dtype: qint8.*or choose march 'bayes'/);
    expect(b2.text).toContain('This model is NOT supported');

    const bayes = await check_model(converted, 'bayes');
    expect(bayes.passed).toBe(true);
    const overflow = bayes.violations.filter((v) => v.rule === 'overflow');
    expect(overflow.map((v) => v.layer)).toEqual(['conv1', 'conv2', 'classifier']);
    expect(overflow[1].message).toMatch(/int16 × int16 with fan-in 144: the worst-case accumulator .* exceeds int32/);
    expect(overflow[1].fix).toMatch(/int8 weights for conv2/);
  });

  it('kernel, stride and pool limits of the profile', async () => {
    const b = new IntegerModelBuilder();
    b.input('x', [4, 32, 32]);
    b.quantize('q', 'x', { scale: 0.05, zero_point: 0, dtype: 'qint8' });
    const w = quantizeWeights(new Float32Array(8 * 4 * 9 * 9).fill(0.01), 8, [0.001], [0]);
    b.conv2d('big', 'q', { weight: w, weight_shape: [8, 4, 9, 9], weight_scale: [0.001], stride: 3, output: { scale: 0.05, zero_point: 0, dtype: 'qint8' } });
    b.max_pool2d('pool', 'big', { kernel_size: 6, stride: 3 });
    b.dequantize('out', 'pool');
    b.output('out');
    const model = b.build();
    const b2 = await check_model(model, 'bernoulli2');
    const rules = b2.violations.filter((v) => v.severity === 'error').map((v) => `${v.layer}:${v.rule}`);
    expect(rules).toEqual(expect.arrayContaining(['big:kernel', 'big:stride', 'pool:kernel', 'pool:stride']));
    expect(b2.violations.find((v) => v.layer === 'big' && v.rule === 'kernel')!.message).toBe('kernel 9×9 exceeds 7×7');
    const bayes = await check_model(model, 'bayes');
    expect(bayes.violations.filter((v) => v.severity === 'error')).toEqual([]);
  });

  it('a prepared model: converts it, or lists every op that has no integer version', async () => {
    const load = (id: string) => {
      const r = evaluate(findExample(id)!.files);
      if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
      return prepareStageModel(r.program, 'qat');
    };
    const small = await check_model(load('small_model'), 'bayes');
    expect(small.passed).toBe(false);
    expect(small.violations[0]).toMatchObject({ severity: 'error', layer: 'layernorm', op: 'LayerNorm', rule: 'op' });
    expect(small.text).toMatch(/\[ERROR\] layernorm \(LayerNorm\) op: LayerNorm has no integer op/);

    const cnn = await check_model((await convertedExample('reference_cnn')).qat, 'bernoulli2');
    expect(cnn.passed).toBe(true);
    expect(cnn.layers).toHaveLength(8);
  });
});
