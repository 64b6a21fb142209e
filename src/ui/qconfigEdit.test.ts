import { describe, expect, it } from 'vitest';
import { findExample } from '../dsl/examples/index';
import { evaluate } from '../dsl/evaluate';
import { prepareStageModel, type QuantStage } from '../dsl/stage';
import { maskCode, applySensitiveOpsToQconfig, type SensitivityTableRow } from './qconfigEdit';

const REFERENCE = findExample('reference_cnn')!.files;
const TABLE: SensitivityTableRow[] = [
  ['conv2', 'ConvBnReLU2d', 0.25],
  ['quant', 'QuantStub', 0.125],
  ['conv1', 'ConvBnReLU2d', 0.0625],
  ['classifier', 'Linear', 0.001],
];
const FILE = 'output_0_L1_only_sensitive_ops.json';

/** Output dtype per node of the stage's prepared model (what the check table shows). */
function outputs(qconfig: string, stage: QuantStage): Record<string, string> {
  const r = evaluate({ ...REFERENCE, 'qconfig.ts': qconfig });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  const model = prepareStageModel(r.program, stage);
  try {
    return Object.fromEntries(model.check_result.rows.filter((row) => row.opcode === 'call_module').map((row) => [row.name, row.output_dtype]));
  } finally {
    model.dispose();
  }
}

describe('maskCode', () => {
  it('blanks comments and strings, keeping length and newlines', () => {
    const text = 'a = "x{y" // c: [\n/* q: { */ b = `t`; \'s\'';
    const masked = maskCode(text);
    expect(masked.length).toBe(text.length);
    expect(masked).toBe(`a = "   "${' '.repeat(8)}\n${' '.repeat(11)}b = \` \`; ' '`);
  });
});

describe('applySensitiveOpsToQconfig on the reference qconfig.ts', () => {
  it('topk=1: the most sensitive op gets int16 activations in calibration and QAT, the others stay int8', () => {
    const edited = applySensitiveOpsToQconfig(REFERENCE['qconfig.ts'], TABLE, 1, FILE);
    expect(edited).toContain(`// sensitivity_table: ${FILE} from the Sensitivity tab, most sensitive first.`);
    expect(edited).toContain('["conv2", "ConvBnReLU2d", 0.25],');
    expect(edited).toContain('qconfig_setter: [sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter(sensitivity_table, { topk: 1 }), default_calibration_qconfig_setter]');
    expect(edited).toContain('qconfig_setter: [sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter(sensitivity_table, { topk: 1 }), default_qat_qconfig_setter]');
    // The example in the file's comment is left as it was.
    expect(edited).toContain(' *   qconfig_setter: [\n *     ModuleNameQconfigSetter({ conv2:');
    for (const stage of ['calibration', 'qat'] as const) {
      expect(outputs(edited, stage)).toMatchObject({ quant: 'qint8', conv1: 'qint8', conv2: 'qint16', classifier: 'qint32' });
    }
  });

  it('a second use replaces the table and the setters; topk=0 takes them out again', () => {
    const once = applySensitiveOpsToQconfig(REFERENCE['qconfig.ts'], TABLE, 1, FILE);
    const reordered: SensitivityTableRow[] = [TABLE[1]!, TABLE[2]!, TABLE[0]!, TABLE[3]!];
    const twice = applySensitiveOpsToQconfig(once, reordered, 2, 'output_0_SQNR_only_sensitive_ops.json');
    expect(twice.match(/const sensitivity_table/g)).toHaveLength(1);
    expect(twice.match(/sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter\(/g)).toHaveLength(1);
    expect(twice).toContain('{ topk: 2 }');
    expect(twice).toContain('output_0_SQNR_only_sensitive_ops.json');
    expect(twice).not.toContain(FILE);
    expect(outputs(twice, 'calibration')).toMatchObject({ quant: 'qint16', conv1: 'qint16', conv2: 'qint8' });
    // The import lists each setter once.
    const imports = twice.slice(0, twice.indexOf('from "horizon_plugin_pytorch/quantization"'));
    expect(imports.match(/sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter/g)).toHaveLength(1);

    const back = applySensitiveOpsToQconfig(twice, reordered, 0, FILE);
    expect(back).not.toContain('sensitivity_table');
    expect(back).not.toContain('sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter(');
    expect(outputs(back, 'qat')).toMatchObject({ quant: 'qint8', conv1: 'qint8', conv2: 'qint8' });
  });

  it('a stage without a qconfig_setter list gets one with the default template behind the sensitive op', () => {
    const source = [
      'import { defineConfig } from "horizon_plugin_pytorch/quantization";',
      'export default defineConfig({',
      '  calibration: { calibrationBatches: 10 },',
      '});',
      '',
    ].join('\n');
    const edited = applySensitiveOpsToQconfig(source, TABLE, 1, FILE);
    expect(edited).toContain(
      'import { defineConfig, sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter, default_calibration_qconfig_setter, sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter, default_qat_qconfig_setter } from',
    );
    expect(edited).toContain('qat: { qconfig_setter: [sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter(sensitivity_table, { topk: 1 }), default_qat_qconfig_setter] },');
    for (const stage of ['calibration', 'qat'] as const) expect(outputs(edited, stage)).toMatchObject({ conv1: 'qint8', conv2: 'qint16' });
  });

  it('says what is wrong: topk out of range, set_qconfig stages, no defineConfig', () => {
    expect(() => applySensitiveOpsToQconfig(REFERENCE['qconfig.ts'], TABLE, 5, FILE)).toThrow('topk must be an integer from 0 to 4 (got 5)');
    const eager = findExample('int16')!.files['qconfig.ts'];
    expect(() => applySensitiveOpsToQconfig(eager, TABLE, 1, FILE)).toThrow('qconfig.ts: calibration uses set_qconfig');
    expect(() => applySensitiveOpsToQconfig('const x = 1;\n', TABLE, 1, FILE)).toThrow('no `export default defineConfig({...})`');
  });
});
