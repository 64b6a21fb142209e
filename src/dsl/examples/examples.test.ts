import { describe, expect, it } from 'vitest';
import { EXAMPLES, DEFAULT_EXAMPLE, findExample } from './index';
import { evaluate, loadSources, type EvaluatedProgram } from '../evaluate';
import { prepareStageModel, runStageSetup, type QuantStage } from '../stage';
import type { CheckRow } from '../../quant/check_table';
import type { PreparedModel } from '../../quant/prepare';
import { set_fake_quantize, get_fake_quantize_states } from '../../quant/fake_quant_state';
import { FakeQuantState } from '../../quant/types';

function program(id: string): EvaluatedProgram {
  const r = evaluate(findExample(id)!.files);
  if (!r.ok) throw new Error(`${id}: ${JSON.stringify(r.diagnostics)}`);
  return r.program;
}

function rows(model: PreparedModel): Record<string, string> {
  const out: Record<string, string> = {};
  const fmt = (r: CheckRow) => `${r.type} in=${r.input_dtypes.join('/')} w=${r.weight_dtype ?? '-'} out=${r.output_dtype}`;
  for (const r of model.check_result.rows) if (r.opcode !== 'placeholder' && r.opcode !== 'output') out[r.name] = fmt(r);
  return out;
}

describe('examples gallery', () => {
  it('the default example is the reference CNN', () => {
    expect(DEFAULT_EXAMPLE.id).toBe('reference_cnn');
    expect(DEFAULT_EXAMPLE.files['model.ts']).toContain('new nn.Linear(32 * 7 * 7, 10)');
  });

  for (const example of EXAMPLES) {
    it(`${example.id}: evaluates, traces, fuses and prepares for calibration and QAT with nothing unsupported`, () => {
      const loaded = loadSources(example.files);
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
      // Everything but the SmallModel (linear → layernorm → relu) has something to fuse.
      expect(loaded.graph.fusions.length > 0).toBe(example.id !== 'small_model');
      for (const stage of ['calibration', 'qat'] as QuantStage[]) {
        const prepared = prepareStageModel(loaded.program, stage);
        expect(prepared.check_result.unsupported).toEqual([]);
        expect(prepared.check_result.warnings).toEqual([]);
        const out = prepared.check_result.rows.find((r) => r.opcode === 'output')!;
        expect(out.output_dtype).toBe('float32');
        prepared.dispose();
      }
    });
  }

  it('reference_cnn: int8 everywhere, the classifier with an int32 output', () => {
    const m = prepareStageModel(program('reference_cnn'), 'qat');
    expect(rows(m)).toEqual({
      quant: 'QuantStub in=float32 w=- out=qint8',
      conv1: 'ConvBnReLU2d in=qint8 w=qint8 out=qint8',
      pool1: 'MaxPool2d in=qint8 w=- out=qint8',
      conv2: 'ConvBnReLU2d in=qint8 w=qint8 out=qint8',
      pool2: 'MaxPool2d in=qint8 w=- out=qint8',
      flatten: 'torch.flatten in=qint8 w=- out=qint8',
      classifier: 'Linear in=qint8 w=qint8 out=qint32',
      dequant: 'DeQuantStub in=qint32 w=- out=float32',
    });
    const calib = prepareStageModel(program('reference_cnn'), 'calibration');
    expect(calib.check_result.rows.find((r) => r.name === 'conv1')!.observer).toBe('FakeQuantize(MSEObserver, qint8)');
    expect(m.check_result.rows.find((r) => r.name === 'conv1')!.weight_observer).toBe(
      'FakeQuantize(MovingAveragePerChannelMinMaxObserver, qint8, ch_axis=0)',
    );
  });

  it('residual: conv-bn-add-relu fused into the generated adds', () => {
    const m = prepareStageModel(program('residual'), 'qat');
    expect(m.fusions.map((f) => `${f.name}=${f.type}(${f.members.join(',')})`)).toEqual([
      'stem=ConvBnReLU2d(stem,stem_bn,stem_relu)',
      'block1.conv1=ConvBnReLU2d(block1.conv1,block1.bn1,block1.relu1)',
      '_generated_add_0=ConvBnAddReLU2d(block1.conv2,block1.bn2,_generated_add_0,block1.relu)',
      'block2.conv1=ConvBnReLU2d(block2.conv1,block2.bn1,block2.relu1)',
      '_generated_add_1=ConvBnAddReLU2d(block2.conv2,block2.bn2,_generated_add_1,block2.relu)',
    ]);
    expect(rows(m)._generated_add_0).toBe('ConvBnAddReLU2d in=qint8/qint8 w=qint8 out=qint8');
  });

  it('small_model: linear2 int16 through ModuleNameQconfigSetter, layernorm int8, the rest int16 activations', () => {
    for (const stage of ['calibration', 'qat'] as QuantStage[]) {
      const m = prepareStageModel(program('small_model'), stage);
      expect(rows(m)).toEqual({
        quant: 'QuantStub in=float32 w=- out=qint16',
        flatten: 'torch.flatten in=qint16 w=- out=qint16',
        linear1: 'Linear in=qint16 w=qint8 out=qint16',
        layernorm: 'LayerNorm in=qint16 w=- out=qint8',
        relu: 'ReLU in=qint8 w=- out=qint8',
        linear2: 'Linear in=qint8 w=qint16 out=qint16',
        linear3: 'Linear in=qint16 w=qint8 out=qint32',
        dequant: 'DeQuantStub in=qint32 w=- out=float32',
      });
      const source = (name: string) => m.check_result.rows.find((r) => r.name === name)!.qconfig_source;
      expect(source('linear2')).toBe('ModuleNameQconfigSetter');
      expect(source('linear1')).toMatch(/8bit_weight_16bit_act_qconfig_setter$/);
    }
  });

  it('add_net: fixed scales on both QuantStubs and on the generated add', () => {
    const m = prepareStageModel(program('add_net'), 'qat');
    const row = (name: string) => m.check_result.rows.find((r) => r.name === name)!;
    expect(row('quant_x').observer).toBe('FakeQuantize(FixedScaleObserver, qint16, scale=0.03125)');
    expect(row('quant_y').observer).toBe('FakeQuantize(FixedScaleObserver, qint16, scale=0.03125)');
    expect(row('_generated_add_0').observer).toBe('FakeQuantize(FixedScaleObserver, qint16, scale=0.0625)');
    expect(rows(m)._generated_add_0).toBe('FloatFunctional.add in=qint16/qint16 w=- out=qint16');
    expect(rows(m).classifier).toBe('Linear in=qint16 w=qint8 out=qint32');
  });

  it('freeze_backbone: setup freezes the backbone (no grad, VALIDATION) and leaves the head in QAT', () => {
    const p = program('freeze_backbone');
    const m = prepareStageModel(p, 'qat');
    m.train();
    set_fake_quantize(m, FakeQuantState.QAT);
    runStageSetup(p, 'qat', m);
    const states = get_fake_quantize_states(m);
    const backbone = [...states].filter(([name]) => name.startsWith('backbone.'));
    const head = [...states].filter(([name]) => name.startsWith('head.'));
    expect(backbone.length).toBeGreaterThan(0);
    expect(head.length).toBeGreaterThan(0);
    expect(backbone.every(([, s]) => s === FakeQuantState.VALIDATION)).toBe(true);
    expect(head.every(([, s]) => s === FakeQuantState.QAT)).toBe(true);
    expect(m.get_submodule('backbone').parameters().every((t) => !t.requiresGrad)).toBe(true);
    expect(m.get_submodule('head').parameters().every((t) => t.requiresGrad)).toBe(true);
    expect(m.get_submodule('backbone').training).toBe(false);
  });

  it('int16: eager model.qconfig gives int16 weights and activations, the classifier keeps int32', () => {
    const m = prepareStageModel(program('int16'), 'calibration');
    expect(rows(m)).toEqual({
      quant: 'QuantStub in=float32 w=- out=qint16',
      conv1: 'ConvBnReLU2d in=qint16 w=qint16 out=qint16',
      pool1: 'MaxPool2d in=qint16 w=- out=qint16',
      conv2: 'ConvBnReLU2d in=qint16 w=qint16 out=qint16',
      pool2: 'MaxPool2d in=qint16 w=- out=qint16',
      flatten: 'torch.flatten in=qint16 w=- out=qint16',
      classifier: 'Linear in=qint16 w=qint16 out=qint32',
      dequant: 'DeQuantStub in=qint32 w=- out=float32',
    });
    expect(m.check_result.rows.find((r) => r.name === 'conv1')!.qconfig_source).toBe('eager (module.qconfig)');
  });
});
