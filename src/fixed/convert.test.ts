import { describe, expect, it } from 'vitest';
import { evaluate } from '../dsl/evaluate';
import { findExample } from '../dsl/examples/index';
import { prepareStageModel } from '../dsl/stage';
import type { PreparedModel } from '../quant/prepare';
import { foldBnParams } from '../nn/fused';
import { quantizeWeights } from './builder';
import { convert, ConvertError } from './convert';
import { runIntegerModelCpu } from './executor_cpu';
import { compareToReference } from './compare';
import type { Conv2dOp, IntegerModel } from './model';
import { REQUANT_MODES } from './requant';
import { seeded } from './testing';
import { calibrateReference, randomizeBatchNorm, runQatReference, type Act } from './testing_qat';
import { fashionMnistTest } from './testing_mnist';
import { convertedExample } from '../export/testing_models';

function prepared(id: string, seed = 1): PreparedModel {
  const r = evaluate(findExample(id)!.files);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  const m = prepareStageModel(r.program, 'qat');
  m.eval();
  randomizeBatchNorm(m, seeded(seed));
  return m;
}

function images(count: number, offset = 0): Act {
  const data = fashionMnistTest(offset + count);
  return { data: Float64Array.from(data.images.subarray(offset * 784)), shape: [count, 1, 28, 28] };
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Calibrated model, its integer conversion, and both run on the same images. */
async function convertAndRun(id: string, mode: 'multiplier' | 'float', count = 16) {
  const m = prepared(id);
  await calibrateReference(m, [[images(32, 100)]]);
  const { model, nodes, notes } = await convert(m, { mode });
  const x = images(count);
  const reference = await runQatReference(m, [x]);
  const fixed = runIntegerModelCpu(model, { [model.inputs[0]]: Float32Array.from(x.data) });
  return { m, model, nodes, notes, reference, fixed, count };
}

function logitsAgreement(model: IntegerModel, fixed: Map<string, ArrayLike<number>>, reference: Map<string, Act>, count: number) {
  const out = fixed.get(model.outputs[0])!;
  const ref = [...reference.values()].at(-1)!.data;
  let same = 0;
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < count; i++) {
    if (argmax(Array.from(out).slice(i * 10, i * 10 + 10)) === argmax(Array.from(ref).slice(i * 10, i * 10 + 10))) same++;
  }
  for (let i = 0; i < ref.length; i++) {
    signal += ref[i] ** 2;
    noise += (ref[i] - out[i]) ** 2;
  }
  return { agreement: same / count, sqnr: 10 * Math.log10(signal / noise) };
}

describe('convert', () => {
  it('reference CNN: quantize → conv-relu (BN folded) → pool → conv-relu → pool → flatten → linear int32 → dequantize', async () => {
    const { model, nodes, reference, fixed, count } = await convertAndRun('reference_cnn', 'multiplier');
    expect(model.ops.map((op) => `${op.kind}:${op.name}`)).toEqual([
      'quantize:quant',
      'conv2d:conv1',
      'max_pool2d:pool1',
      'conv2d:conv2',
      'max_pool2d:pool2',
      'flatten:flatten',
      'linear:classifier',
      'dequantize:dequant',
    ]);
    const values = new Map(model.values.map((v) => [v.name, v]));
    expect(values.get('conv1')!.dtype).toBe('int8');
    expect(values.get('classifier')!.dtype).toBe('int32');
    expect(values.get('classifier')!.scale).toHaveLength(10);
    // The fused ReLU is the clamp at the zero point.
    const conv1 = model.ops[1] as Conv2dOp;
    expect(conv1.clamp).toEqual([values.get('conv1')!.zeroPoint, 127]);
    expect(nodes.find((n) => n.node === 'conv1')!.value).toBe('conv1');

    // Each quantized layer's integers part from the fake-quant reference by at most one step.
    for (const layer of ['quant', 'conv1', 'pool1', 'conv2', 'pool2']) {
      const d = compareToReference(fixed.get(layer)!, reference.get(layer)!.data, values.get(layer)!);
      expect(d.maxLsb, layer).toBeLessThanOrEqual(1.0001);
      expect(d.meanAbsLsb, layer).toBeLessThan(0.05);
    }
    const { agreement, sqnr } = logitsAgreement(model, fixed, reference, count);
    expect(agreement).toBe(1);
    expect(sqnr).toBeGreaterThan(30);
  });

  it('folds BN into the weights as the frozen-BN QAT forward does, and uses the weight fake quantizer\'s scales', async () => {
    const m = prepared('reference_cnn', 3);
    await calibrateReference(m, [[images(8)]]);
    const { model } = await convert(m);
    const conv1 = model.ops.find((op) => op.name === 'conv1') as Conv2dOp;
    const fused = m.get_submodule('conv1') as unknown as {
      conv: { weight: { read(): Promise<Float32Array> }; bias: { read(): Promise<Float32Array> } };
      bn: { running_mean: { read(): Promise<Float32Array> }; running_var: { read(): Promise<Float32Array> }; weight: { read(): Promise<Float32Array> }; bias: { read(): Promise<Float32Array> }; eps: number };
    };
    const folded = foldBnParams(await fused.conv.weight.read(), await fused.conv.bias.read(), {
      mean: await fused.bn.running_mean.read(),
      var: await fused.bn.running_var.read(),
      gamma: await fused.bn.weight.read(),
      beta: await fused.bn.bias.read(),
      eps: fused.bn.eps,
    });
    const scales = Array.from((await m.state_dict().get('conv1.weight_fake_quant.scale')!.read()) as Float32Array);
    expect(conv1.weightScale).toEqual(scales);
    const expected = quantizeWeights(folded.weight, 16, scales, [0]);
    // foldBnParams works in double; the converter in float32 as the GPU does: at most a tie apart.
    let differ = 0;
    conv1.weight.forEach((q, i) => {
      expect(Math.abs(q - expected[i])).toBeLessThanOrEqual(1);
      if (q !== expected[i]) differ++;
    });
    expect(differ).toBeLessThanOrEqual(1);
    // Symmetric scales put the largest weight of each channel at ±127.5 → 127 or −128.
    expect(Math.max(...Array.from(conv1.weight, Math.abs))).toBeGreaterThanOrEqual(127);
    expect(conv1.bias).not.toBeNull();
  });

  for (const mode of REQUANT_MODES) {
    for (const id of ['residual', 'add_net', 'freeze_backbone']) {
      it(`${id} (${mode}): converts and agrees with the fake-quant model`, async () => {
        const { model, fixed, reference, count, notes } = await convertAndRun(id, mode, 12);
        expect(model.mode).toBe(mode);
        const { agreement, sqnr } = logitsAgreement(model, fixed, reference, count);
        expect(agreement).toBeGreaterThanOrEqual(11 / 12);
        expect(sqnr).toBeGreaterThan(25);
        if (id === 'add_net') expect(notes.join('\n')).toMatch(/broadcast over 16 channels/);
      });
    }
  }

  it('residual: the conv-bn-add-relu fusion is one conv with the block input as its second input', async () => {
    const m = prepared('residual');
    await calibrateReference(m, [[images(8)]]);
    const { model } = await convert(m);
    const fusedAdd = model.ops.find((op) => op.name === '_generated_add_0') as Conv2dOp;
    expect(fusedAdd.kind).toBe('conv2d');
    expect(fusedAdd.inputs).toEqual(['block1.conv1', 'pool1']);
    expect(fusedAdd.residualRequant).toBeDefined();
  });

  it('int16: int16 weights and activations, with a note on int32 accumulator overflow', async () => {
    const m = prepared('int16');
    await calibrateReference(m, [[images(8)]]);
    const { model, notes } = await convert(m);
    const conv1 = model.ops.find((op) => op.name === 'conv1') as Conv2dOp;
    expect(conv1.weightDtype).toBe('int16');
    expect(model.values.find((v) => v.name === 'conv1')!.dtype).toBe('int16');
    expect(notes.join('\n')).toMatch(/conv2: int16 × int16 with fan-in 144: .*can overflow the int32 accumulator/);
  });

  for (const mode of REQUANT_MODES) {
    it(`cat (${mode}): branches rescaled to the cat's qparams, concatenated, agreeing with the fake-quant model`, async () => {
      const { model, qat } = await convertedExample('cat_net', mode);
      const cat = model.ops.find((op) => op.kind === 'concat')!;
      expect(cat.name).toBe('_generated_cat_0');
      // A branch already at the cat's scale (here the one with the larger range) is copied as it is.
      const requants = model.ops.filter((op) => op.kind === 'requantize').map((op) => op.name);
      expect(requants.length).toBeGreaterThanOrEqual(1);
      for (const r of requants) expect(r).toMatch(/^_generated_cat_0\.input_requant[01]$/);
      expect(model.values.find((v) => v.name === '_generated_cat_0')!.shape).toEqual([9, 28, 28]);
      const x = images(8);
      const reference = await runQatReference(qat, [x]);
      const fixed = runIntegerModelCpu(model, { x: Float32Array.from(x.data) });
      const d = compareToReference(fixed.get('_generated_cat_0')!, reference.get('_generated_cat_0')!.data, model.values.find((v) => v.name === '_generated_cat_0')!);
      expect(d.maxLsb).toBeLessThanOrEqual(1.0001);
      expect(d.meanAbsLsb).toBeLessThan(0.02);
      const { agreement } = logitsAgreement(model, fixed, reference, 8);
      expect(agreement).toBeGreaterThanOrEqual(7 / 8);
    });
  }

  for (const mode of REQUANT_MODES) {
    it(`affine quint8 activations (${mode}): zero points ≠ 0 stored shifted, within 1 LSB of fake quant`, async () => {
      const { model, qat } = await convertedExample('affine_cnn', mode);
      const conv1 = model.values.find((v) => v.name === 'conv1')!;
      expect(conv1.qdtype).toBe('quint8');
      const quant = model.values.find((v) => v.name === 'quant')!;
      // The input image is centred: its zero point is well inside (0, 255), stored shifted by −128.
      expect(quant.zeroPoint! + 128).toBeGreaterThan(10);
      expect(quant.zeroPoint! + 128).toBeLessThan(250);
      const x = images(8);
      const reference = await runQatReference(qat, [x]);
      const fixed = runIntegerModelCpu(model, { x: Float32Array.from(x.data) });
      for (const layer of ['quant', 'conv1', 'pool1', 'conv2', 'pool2']) {
        const d = compareToReference(fixed.get(layer)!, reference.get(layer)!.data, model.values.find((v) => v.name === layer)!);
        expect(d.maxLsb, layer).toBeLessThanOrEqual(1.0001);
        expect(d.meanAbsLsb, layer).toBeLessThan(0.05);
      }
      expect(logitsAgreement(model, fixed, reference, 8).agreement).toBe(1);
    });
  }

  it('names the layer and what is unsupported', async () => {
    const small = prepared('small_model');
    await expect(convert(small, { input_shapes: [[1, 28, 28]] })).rejects.toThrow(/layernorm.*LayerNorm has no integer op/);
    await expect(convert(small)).rejects.toBeInstanceOf(ConvertError);
  });

  it('rejects an int32 output that feeds another op, naming both', async () => {
    const r = evaluate({
      'model.ts': `import { nn, type Tensor } from "torch";
import { QuantStub, DeQuantStub } from "horizon_plugin_pytorch/quantization";
export default class M extends nn.Module {
  quant = new QuantStub();
  fc1 = new nn.Linear(4, 4);
  fc2 = new nn.Linear(4, 2);
  dequant = new DeQuantStub();
  forward(x: Tensor): Tensor { return this.dequant(this.fc2(this.fc1(this.quant(x)))); }
}`,
      'qconfig.ts': `import { defineConfig, get_qconfig, qint32, qint8 } from "horizon_plugin_pytorch/quantization";
export default defineConfig({ qat: { set_qconfig(model) {
  model.qconfig = get_qconfig({ out_dtype: qint8 });
  model.fc1.qconfig = get_qconfig({ out_dtype: qint32 });
} } });`,
    });
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    const m = prepareStageModel(r.program, 'qat');
    await expect(convert(m, { input_shapes: [[4]] })).rejects.toThrow(/fc1.*int32.*feeds fc2/);
  });
});
