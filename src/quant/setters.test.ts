import { describe, expect, it } from 'vitest';
import * as nn from '../nn/index';
import { Module } from '../nn/module';
import { torch } from '../dsl/torch';
import type { TraceValue } from '../graph/trace_value';
import { prepare, type PreparedModel } from './prepare';
import {
  ModuleNameQconfigSetter,
  calibration_8bit_weight_16bit_act_qconfig_setter,
  default_calibration_qconfig_setter,
  default_qat_fixed_act_qconfig_setter,
  default_qat_qconfig_setter,
  pickSensitiveOps,
  qat_8bit_weight_16bit_act_qconfig_setter,
  qat_8bit_weight_16bit_fixed_act_qconfig_setter,
  sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter,
  sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter,
  sensitive_op_qat_8bit_weight_16bit_fixed_act_qconfig_setter,
  type QconfigSetter,
} from './setters';
import { get_qconfig } from './qconfig_templates';
import { QConfig, describeFakeQuantize } from './qconfig';
import { FakeQuantize } from './fake_quantize';
import { LearnableFakeQuantize } from './fake_quantize_learnable';
import { MinMaxObserver } from './observer_minmax';
import { FixedScaleObserver } from './observer_fixed';
import type { ObserverBase } from './observer_base';

class Net extends Module {
  quant = new nn.QuantStub();
  conv1 = new nn.Conv2d(1, 4, 3, { padding: 1 });
  bn1 = new nn.BatchNorm2d(4);
  relu1 = new nn.ReLU();
  conv2 = new nn.Conv2d(4, 4, 3, { padding: 1 });
  relu2 = new nn.ReLU();
  classifier = new nn.Linear(4 * 8 * 8, 10);
  dequant = new nn.DeQuantStub();

  override forward(x: TraceValue): unknown {
    x = this.relu1(this.bn1(this.conv1(this.quant(x))));
    x = this.relu2(this.conv2(x));
    return this.dequant(this.classifier(torch.flatten(x, 1)));
  }
}

function prepared(setters: QconfigSetter[], options: { high_precision_output?: boolean } = {}, model: Module = new Net()): PreparedModel {
  return prepare(model, { qconfig_setter: setters, ...options });
}

/** name → "out dtype / weight dtype / observer class / setter". */
function decisions(m: PreparedModel): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of m.check_result.rows) {
    if (r.qconfig_source) out[r.name] = `${r.output_dtype}/${r.weight_dtype ?? '-'}/${r.observer.replace(/^FakeQuantize\((\w+).*$/, '$1') || '-'}/${r.qconfig_source}`;
  }
  return out;
}

/** The output observer's averaging constant of a prepared module. */
function averaging(m: PreparedModel, name: string): number | null | undefined {
  const fq = m.get_submodule(`${name}.activation_post_process`) as unknown as { activation_post_process: ObserverBase & { averaging_constant?: number | null } };
  return fq.activation_post_process.averaging_constant;
}

describe('template setters', () => {
  it('default_calibration: int8, MSEObserver; the final linear int32', () => {
    const m = prepared([default_calibration_qconfig_setter]);
    expect(decisions(m)).toEqual({
      quant: 'qint8/-/MSEObserver/default_calibration_qconfig_setter',
      conv1: 'qint8/qint8/MSEObserver/default_calibration_qconfig_setter',
      conv2: 'qint8/qint8/MSEObserver/default_calibration_qconfig_setter',
      classifier: 'qint32/qint8/none (int32 high-precision output)/default_calibration_qconfig_setter',
    });
  });

  it('default_qat moves activation scales (averaging 0.01); default_qat_fixed_act keeps them (averaging 0)', () => {
    const qat = prepared([default_qat_qconfig_setter]);
    expect(decisions(qat).conv1).toBe('qint8/qint8/MinMaxObserver/default_qat_qconfig_setter');
    expect(averaging(qat, 'conv1')).toBe(0.01);
    const fixed = prepared([default_qat_fixed_act_qconfig_setter]);
    expect(decisions(fixed).conv1).toBe('qint8/qint8/MinMaxObserver/default_qat_fixed_act_qconfig_setter');
    expect(averaging(fixed, 'conv1')).toBe(0);
  });

  it('the int16 family: 8-bit weights, 16-bit activations, in the three flavours', () => {
    const cases: [QconfigSetter, string, number][] = [
      [calibration_8bit_weight_16bit_act_qconfig_setter, 'MSEObserver', 0.01],
      [qat_8bit_weight_16bit_act_qconfig_setter, 'MinMaxObserver', 0.01],
      [qat_8bit_weight_16bit_fixed_act_qconfig_setter, 'MinMaxObserver', 0],
    ];
    for (const [setter, observer, c] of cases) {
      const m = prepared([setter]);
      expect(decisions(m)).toEqual({
        quant: `qint16/-/${observer}/${setter.setter_name}`,
        conv1: `qint16/qint8/${observer}/${setter.setter_name}`,
        conv2: `qint16/qint8/${observer}/${setter.setter_name}`,
        classifier: `qint32/qint8/none (int32 high-precision output)/${setter.setter_name}`,
      });
      expect(averaging(m, 'conv2')).toBe(c);
    }
  });

  it('high_precision_output: false gives the final linear an ordinary output', () => {
    const m = prepared([default_qat_qconfig_setter], { high_precision_output: false });
    expect(decisions(m).classifier).toBe('qint8/qint8/MinMaxObserver/default_qat_qconfig_setter');
  });
});

describe('precedence: first match wins', () => {
  const int16 = get_qconfig({ observer: MinMaxObserver, weight_dtype: 'qint16', out_dtype: 'qint16' });

  it('a ModuleNameQconfigSetter in front overrides the template for its names only', () => {
    const m = prepared([new ModuleNameQconfigSetter({ conv2: int16 }), default_qat_qconfig_setter]);
    expect(decisions(m).conv2).toBe('qint16/qint16/MinMaxObserver/ModuleNameQconfigSetter');
    expect(decisions(m).conv1).toBe('qint8/qint8/MinMaxObserver/default_qat_qconfig_setter');
  });

  it('behind a template it changes nothing', () => {
    const m = prepared([default_qat_qconfig_setter, new ModuleNameQconfigSetter({ conv2: int16 })]);
    expect(decisions(m).conv2).toBe('qint8/qint8/MinMaxObserver/default_qat_qconfig_setter');
  });

  it('setters win over eager qconfigs, which cover what no setter decided', () => {
    const model = new Net();
    model.qconfig = get_qconfig({ out_dtype: 'qint16', weight_dtype: 'qint16' });
    model.conv1.qconfig = get_qconfig({ out_dtype: 'quint8' });
    const m = prepared([new ModuleNameQconfigSetter({ conv2: get_qconfig() })], {}, model);
    expect(decisions(m)).toEqual({
      quant: 'qint16/-/MinMaxObserver/eager (module.qconfig)',
      conv1: 'quint8/qint8/MinMaxObserver/eager (module.qconfig)',
      conv2: 'qint8/qint8/MinMaxObserver/ModuleNameQconfigSetter',
      classifier: 'qint16/qint16/MinMaxObserver/eager (module.qconfig)',
    });
  });

  it('with neither, ops stay float', () => {
    const m = prepared([]);
    expect(decisions(m).conv1).toBe('float32/float32/-/none (float)');
    expect(m.check_result.warnings.map((w) => w.name)).toContain('quant');
  });
});

describe('sensitive_op setters', () => {
  const table = [
    ['conv2', 'Conv2d', 0.9],
    ['bn1', 'BatchNorm2d', 0.5],
    ['classifier', 'Linear', 0.3],
    ['quant', 'QuantStub', 0.1],
  ] as const;

  it('pick the topk or ratio most sensitive rows, in table order', () => {
    expect(pickSensitiveOps(table, { topk: 1 })).toEqual(['conv2']);
    expect(pickSensitiveOps(table, { ratio: 0.5 })).toEqual(['conv2', 'bn1']);
    expect(pickSensitiveOps(table, { ratio: 0.3 })).toEqual(['conv2', 'bn1']);
    expect(pickSensitiveOps([{ node: 'a', metric: 1 }, { node: 'b' }], { topk: 5 })).toEqual(['a', 'b']);
    expect(() => pickSensitiveOps(table, {})).toThrow(/exactly one of ratio or topk/);
    expect(() => pickSensitiveOps(table, { ratio: 2 })).toThrow(/ratio must be in \[0, 1\]/);
  });

  it('give the picked ops int16 activations; a fused member name reaches its fused op; the final op keeps int32', () => {
    const cases: [(t: typeof table, o: { ratio?: number; topk?: number }) => QconfigSetter, string][] = [
      [sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter, 'MSEObserver'],
      [sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter, 'MinMaxObserver'],
      [sensitive_op_qat_8bit_weight_16bit_fixed_act_qconfig_setter, 'MinMaxObserver'],
    ];
    for (const [make, observer] of cases) {
      const setter = make(table, { topk: 3 });
      const m = prepared([setter, default_qat_qconfig_setter]);
      expect(decisions(m)).toEqual({
        quant: 'qint8/-/MinMaxObserver/default_qat_qconfig_setter',
        conv1: `qint16/qint8/${observer}/${setter.setter_name}`, // bn1 was fused into conv1
        conv2: `qint16/qint8/${observer}/${setter.setter_name}`,
        classifier: 'qint32/qint8/none (int32 high-precision output)/default_qat_qconfig_setter',
      });
    }
  });

  it('several tables stack, each deciding its own picks', () => {
    const a = sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter([['conv1', 'Conv2d', 1]], { topk: 1 });
    const b = sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter([['quant', 'QuantStub', 1]], { ratio: 1 });
    const m = prepared([a, b, default_qat_qconfig_setter]);
    expect(decisions(m).conv1).toMatch(/^qint16/);
    expect(decisions(m).quant).toMatch(/^qint16/);
    expect(decisions(m).conv2).toMatch(/^qint8/);
  });
});

describe('ModuleNameQconfigSetter', () => {
  class Nested extends Module {
    quant = new nn.QuantStub();
    backbone = new nn.Sequential(new nn.Conv2d(1, 2, 1), new nn.Conv2d(2, 2, 1));
    head = new nn.Conv2d(2, 2, 1);
    override forward(x: TraceValue): unknown {
      return this.head(this.backbone(this.quant(x)));
    }
  }
  const int16 = get_qconfig({ out_dtype: 'qint16' });
  const int8 = get_qconfig({ out_dtype: 'qint8' });

  it('a name covers the modules under it; the longest matching name wins; null keeps an op float', () => {
    const m = prepared([new ModuleNameQconfigSetter({ backbone: int16, 'backbone.1': int8, head: null }), default_qat_qconfig_setter], {}, new Nested());
    expect(decisions(m)).toEqual({
      quant: 'qint8/-/MinMaxObserver/default_qat_qconfig_setter',
      'backbone_0': 'qint16/qint8/MinMaxObserver/ModuleNameQconfigSetter',
      'backbone_1': 'qint8/qint8/MinMaxObserver/ModuleNameQconfigSetter',
      head: 'float32/float32/-/ModuleNameQconfigSetter',
    });
  });

  it('names what it could not find, and which names take a qconfig', () => {
    expect(() => prepared([new ModuleNameQconfigSetter({ flatten: int8, linear4: int8 })])).toThrow(
      /no quantizable op named 'flatten', 'linear4'\. Ops that take a qconfig: quant, conv1, conv2, classifier/,
    );
    // A module fused into another is found through the fused op.
    const m = prepared([new ModuleNameQconfigSetter({ relu1: get_qconfig({ out_dtype: 'qint16' }) })]);
    expect(decisions(m).conv1).toBe('qint16/qint8/MinMaxObserver/ModuleNameQconfigSetter');
    expect(() => new ModuleNameQconfigSetter({ conv1: 'int8' as unknown as QConfig })).toThrow(/value for 'conv1' is not a QConfig/);
  });
});

describe('QConfig and get_qconfig', () => {
  it('QConfig takes factories, with activation as an alias of output', () => {
    const fq = FakeQuantize.with_args({ observer: FixedScaleObserver, dtype: 'qint16', scale: 0.0625 });
    const q = new QConfig({ activation: fq });
    expect(q.output).toBe(fq);
    expect(q.out_dtype).toBe('qint16');
    expect(q.weight_dtype).toBe('float32');
    expect(describeFakeQuantize(fq)).toEqual({
      dtype: 'qint16', qscheme: 'per_tensor_symmetric', ch_axis: null, observer: 'FixedScaleObserver', scale: 0.0625, fake_quant: 'FakeQuantize',
    });
    expect(() => new QConfig({ output: fq() as never })).toThrow(/must be a fake-quantize factory/);
    expect(() => new QConfig({ outputs: fq } as never)).toThrow(/unknown option 'outputs'/);
  });

  it('get_qconfig: out_dtype qint32 is the high-precision output; weight_dtype null keeps weights float', () => {
    const q = get_qconfig({ weight_dtype: 'qint16', out_dtype: 'qint32' });
    expect(q.high_precision_output).toBe(true);
    expect(q.out_dtype).toBe('qint32');
    expect(q.weight_dtype).toBe('qint16');
    expect(get_qconfig({ weight_dtype: null, out_dtype: null }).toString()).toBe('QConfig(output=None, weight=None)');
    expect(get_qconfig({ in_dtype: 'qint16' }).input).not.toBeNull();
    expect(() => get_qconfig({ obsever: MinMaxObserver } as never)).toThrow(/unknown option 'obsever'/);
  });

  it('a learnable fake quantizer gets the weight channel count from prepare', () => {
    const q = get_qconfig({ fake_quant: LearnableFakeQuantize });
    const m = prepared([new ModuleNameQconfigSetter({ conv2: q }), default_qat_qconfig_setter]);
    const wfq = m.get_submodule('conv2.weight_fake_quant') as LearnableFakeQuantize;
    expect(wfq).toBeInstanceOf(LearnableFakeQuantize);
    expect(wfq.scale.shape).toEqual([4]);
  });
});
