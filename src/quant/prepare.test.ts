import { describe, expect, it } from 'vitest';
import { evaluate } from '../dsl/evaluate';
import { torch } from '../dsl/torch';
import * as nn from '../nn/index';
import { Module } from '../nn/module';
import type { TraceValue } from '../graph/trace_value';
import { F } from '../dsl/torch';
import { prepare, type PreparedModel } from './prepare';
import { default_qat_qconfig_setter } from './setters';
import { isQatModule } from './qat_modules';
import { FakeQuantize } from './fake_quantize';

/** The seed's SmallModel, word for word apart from the language (input [2, 100, 256]). */
const SMALL_MODEL = `import { nn } from "torch";
import { QuantStub, DeQuantStub } from "horizon_plugin_pytorch/quantization";

export default class SmallModel extends nn.Module {
  linear1 = new nn.Linear(256, 256);
  layernorm = new nn.LayerNorm(256);
  relu = new nn.ReLU();
  linear2 = new nn.Linear(256, 60);
  linear3 = new nn.Linear(60, 60);
  quant = new QuantStub();
  dequant = new DeQuantStub();

  forward(x) {
    x = this.quant(x);
    x = this.linear1(x);
    x = this.layernorm(x);
    x = this.relu(x);
    x = this.linear2(x);
    x = this.linear3(x);
    x = this.dequant(x);
    return x;
  }
}
`;

const SMALL_QCONFIG = `import { prepare } from "horizon_plugin_pytorch/quantization";
import { calibration_8bit_weight_16bit_act_qconfig_setter, ModuleNameQconfigSetter } from "horizon_plugin_pytorch/quantization/qconfig_template";
import { get_qconfig, MSEObserver, MinMaxObserver } from "horizon_plugin_pytorch/quantization/qconfig";
import { qint8, qint16 } from "horizon_plugin_pytorch/dtype";

const calib_weight_act_both_int16_qconfig = get_qconfig({ observer: MSEObserver, weight_dtype: qint16, out_dtype: qint16 });
const calib_weight_act_both_int8_qconfig = get_qconfig({ observer: MSEObserver, weight_dtype: qint8, out_dtype: qint8 });

const module_name_to_qconfig = {
  layernorm: calib_weight_act_both_int8_qconfig,
  linear2: calib_weight_act_both_int16_qconfig,
};

export function calib(model, example_input) {
  return prepare(model.eval(), example_input, {
    qconfig_setter: [ModuleNameQconfigSetter(module_name_to_qconfig), calibration_8bit_weight_16bit_act_qconfig_setter],
  });
}
`;

/** The seed's AddNet: two QuantStubs and torch.add, with fixed scales on the stubs and the generated add. */
const ADD_NET = `import { nn, torch } from "torch";
import { QuantStub, DeQuantStub } from "horizon_plugin_pytorch/quantization";

export default class AddNet extends nn.Module {
  quant_x = new QuantStub();
  quant_y = new QuantStub();
  dequant = new DeQuantStub();

  forward(x, y) {
    x = this.quant_x(x);
    y = this.quant_y(y);
    let z = torch.add(x, y);
    z = this.dequant(z);
    return z;
  }
}
`;

const ADD_QCONFIG = `import { prepare, QConfig, FakeQuantize, FixedScaleObserver, ModuleNameQconfigSetter,
  calibration_8bit_weight_16bit_act_qconfig_setter, qint16 } from "horizon_plugin_pytorch/quantization";

const add_input_fix_scale_qconfig = QConfig({
  output: FakeQuantize.with_args({ observer: FixedScaleObserver, dtype: qint16, scale: 0.03125 }),
});
const add_output_fix_scale_qconfig = QConfig({
  output: FakeQuantize.with_args({ observer: FixedScaleObserver, dtype: qint16, scale: 0.0625 }),
});
const module_name_to_qconfig = {
  quant_x: add_input_fix_scale_qconfig,
  quant_y: add_input_fix_scale_qconfig,
  _generated_add_0: add_output_fix_scale_qconfig,
};

export function calib(model, example_input) {
  return prepare(model.eval(), example_input, {
    qconfig_setter: [ModuleNameQconfigSetter(module_name_to_qconfig), calibration_8bit_weight_16bit_act_qconfig_setter],
  });
}
`;

function run(model: string, qconfig: string, inputs: unknown): PreparedModel {
  const r = evaluate({ 'model.ts': model, 'qconfig.ts': qconfig });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return (r.program.qconfigExports.calib as (m: Module, i: unknown) => PreparedModel)(r.program.model, inputs);
}

function table(m: PreparedModel): string[] {
  return m.check_result.rows
    .filter((r) => r.opcode !== 'placeholder' && r.opcode !== 'output')
    .map((r) => `${r.name} ${r.type} in=${r.input_dtypes.join('/')} w=${r.weight_dtype ?? '-'} out=${r.output_dtype} ${r.observer}`.trim());
}

describe('prepare (seed-style examples)', () => {
  it('SmallModel: linear2 int16 through ModuleNameQconfigSetter, layernorm int8, int16 activations elsewhere', () => {
    const m = run(SMALL_MODEL, SMALL_QCONFIG, torch.randn(2, 100, 256));
    expect(table(m)).toEqual([
      'quant QuantStub in=float32 w=- out=qint16 FakeQuantize(MSEObserver, qint16)',
      'linear1 Linear in=qint16 w=qint8 out=qint16 FakeQuantize(MSEObserver, qint16)',
      'layernorm LayerNorm in=qint16 w=- out=qint8 FakeQuantize(MSEObserver, qint8)',
      'relu ReLU in=qint8 w=- out=qint8',
      'linear2 Linear in=qint8 w=qint16 out=qint16 FakeQuantize(MSEObserver, qint16)',
      'linear3 Linear in=qint16 w=qint8 out=qint32 none (int32 high-precision output)',
      'dequant DeQuantStub in=qint32 w=- out=float32',
    ]);
    expect(m.check_result.unsupported).toEqual([]);
    expect(m.check_result.warnings).toEqual([]);
    expect(m.training).toBe(false);
    expect(isQatModule(m.get_submodule('linear2'))).toBe(true);
    expect((m.get_submodule('linear2.weight_fake_quant') as FakeQuantize).dtype).toBe('qint16');
  });

  it('AddNet: two QuantStubs and the generated add with fixed scales', () => {
    const m = run(ADD_NET, ADD_QCONFIG, [torch.randn(1, 1, 2, 6), torch.randn(1, 2, 2, 6)]);
    expect(table(m)).toEqual([
      'quant_x QuantStub in=float32 w=- out=qint16 FakeQuantize(FixedScaleObserver, qint16, scale=0.03125)',
      'quant_y QuantStub in=float32 w=- out=qint16 FakeQuantize(FixedScaleObserver, qint16, scale=0.03125)',
      '_generated_add_0 FloatFunctional.add in=qint16/qint16 w=- out=qint16 FakeQuantize(FixedScaleObserver, qint16, scale=0.0625)',
      'dequant DeQuantStub in=qint16 w=- out=float32',
    ]);
    expect(m.check_result.text).toContain('_generated_add_0  FloatFunctional.add');
    expect(m.check_result.text).toContain('Unsupported ops: none');
    // The example inputs set the input count: one is not enough for forward(x, y).
    const r = evaluate({ 'model.ts': ADD_NET, 'qconfig.ts': ADD_QCONFIG });
    if (!r.ok) throw new Error('eval');
    expect(() => prepare(r.program.model, { example_inputs: [torch.randn(1, 1, 2, 6)] })).toThrow(
      /example_inputs has 1 input\(s\), but AddNet.forward takes 2 \(x, y\)/,
    );
  });
});

describe('prepare', () => {
  class Net extends Module {
    quant = new nn.QuantStub();
    conv = new nn.Conv2d(1, 2, 3);
    bn = new nn.BatchNorm2d(2);
    relu = new nn.ReLU();
    classifier = new nn.Linear(8, 2);
    dequant = new nn.DeQuantStub();
    override forward(x: TraceValue): unknown {
      const y = this.relu(this.bn(this.conv(this.quant(x))));
      return this.dequant(this.classifier(torch.flatten(y, 1)));
    }
  }

  it('adds weight and output fake quantizers under PyTorch names, sharing the float parameters', () => {
    const model = new Net();
    const m = prepare(model, { qconfig_setter: default_qat_qconfig_setter });
    const keys = [...m.state_dict().keys()];
    expect(keys).toEqual(expect.arrayContaining([
      'conv.conv.weight',
      'conv.bn.running_mean',
      'conv.weight_fake_quant.scale',
      'conv.activation_post_process.scale',
      'quant.activation_post_process.scale',
      'classifier.weight',
      'classifier.weight_fake_quant.scale',
    ]));
    expect(keys).not.toContain('classifier.activation_post_process.scale');
    expect(m.get_submodule('conv.conv').parameters()[0]).toBe(model.conv.weight);
    // The float model keeps its float modules.
    expect(isQatModule(model.classifier)).toBe(false);
    expect(model.conv).toBeInstanceOf(nn.Conv2d);
    expect(m.get_submodule('classifier')).toBeInstanceOf(nn.Linear);
    expect(() => prepare(m)).toThrow(/already prepared/);
  });

  it('lists unsupported ops with the reason and warns of quantized ops fed float', () => {
    class Odd extends Module {
      conv = new nn.Conv2d(1, 1, 1);
      quant = new nn.QuantStub();
      override forward(x: TraceValue): unknown {
        const y = this.conv(x); // no QuantStub before it
        const z = F.conv2d(this.quant(y), this.conv.weight); // functional conv: no weight observer
        return F.softmax(z, 1);
      }
    }
    const m = prepare(new Odd(), { qconfig_setter: [default_qat_qconfig_setter], high_precision_output: false });
    expect(m.check_result.unsupported.map((u) => `${u.name}: ${u.reason}`)).toEqual([
      'conv2d: a functional conv has no weight fake quantizer: use nn.Conv2d',
      'softmax: a functional op has no output observer: use nn.Softmax',
    ]);
    expect(m.check_result.warnings.map((w) => w.name)).toEqual(['conv']);
    expect(m.check_result.warnings[0]!.reason).toMatch(/float input: put a QuantStub before it/);
  });

  it('warns when an int32 output feeds another op', () => {
    class TwoLinear extends Module {
      quant = new nn.QuantStub();
      fc1 = new nn.Linear(4, 4);
      fc2 = new nn.Linear(4, 4);
      override forward(x: TraceValue): unknown {
        const a = this.fc1(this.quant(x));
        return [a, this.fc2(a)];
      }
    }
    const m = prepare(new TwoLinear(), { qconfig_setter: default_qat_qconfig_setter });
    // fc1's output is a model output but also feeds fc2, so it is not final: int8.
    expect(m.check_result.rows.find((r) => r.name === 'fc1')!.output_dtype).toBe('qint8');
    expect(m.check_result.rows.find((r) => r.name === 'fc2')!.output_dtype).toBe('qint32');
    expect(m.check_result.warnings).toEqual([]);
  });

  it('accepts prepare(model, example_inputs, {qconfig_setter}) as in Python, and rejects non-setters', () => {
    const m = prepare(new Net(), torch.randn(1, 1, 4, 4), { qconfig_setter: [default_qat_qconfig_setter] });
    expect(m.check_result.rows.find((r) => r.name === 'conv')!.output_dtype).toBe('qint8');
    expect(() => prepare(new Net(), { qconfig_setter: [default_qat_qconfig_setter, 'int8' as never] })).toThrow(
      /qconfig_setter\[1\] is not a qconfig setter/,
    );
  });
});
