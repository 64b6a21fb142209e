/**
 * The sensitivity stage end to end on a DSL program: the planted-outlier model of the quant tests (its
 * weights given as the float state_dict), images of 1×2×2 labelled by the float model.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import type { ImageDataset } from '../data/idx';
import { evaluate, type EvaluatedProgram } from '../dsl/evaluate';
import { prepareStageModel } from '../dsl/stage';
import { sensitivityTableJson } from '../quant/sensitivity';
import { PLANTED_NODE, labelledByFloat, plantedInputs, plantedNet } from '../quant/sensitivity_testing';
import { runSensitivity, type SensitivityReport } from './sensitivity';
import { StageCancelled } from './types';
import type { StageContext, StageProgress } from './types';

const MODEL = `import { nn, torch, type Tensor } from "torch";
import { QuantStub, DeQuantStub } from "horizon_plugin_pytorch/quantization";

export default class Planted extends nn.Module {
  quant = new QuantStub();
  fc1 = new nn.Linear(4, 8);
  relu1 = new nn.ReLU();
  fc2 = new nn.Linear(8, 8);
  relu2 = new nn.ReLU();
  fc3 = new nn.Linear(8, 3);
  dequant = new DeQuantStub();

  forward(x: Tensor): Tensor {
    x = torch.flatten(this.quant(x), 1);
    x = this.relu1(this.fc1(x));
    x = this.relu2(this.fc2(x));
    return this.dequant(this.fc3(x));
  }
}
`;

// The QAT template's min/max observers for calibration, so the outlier sets the int8 scale (an MSE observer could clip it).
const QCONFIG = `import { defineConfig, default_qat_qconfig_setter } from "horizon_plugin_pytorch/quantization";
export default defineConfig({ calibration: { qconfig_setter: [default_qat_qconfig_setter], batchSize: 16 } });
`;

async function dataset(count: number, seed: number): Promise<ImageDataset> {
  const inputs = plantedInputs(1, count, seed);
  const [batch] = await labelledByFloat(inputs);
  const images = Float32Array.from(await inputs[0]!.read());
  inputs[0]!.dispose();
  return { images, labels: Int32Array.from(batch!.labels!), count, imageShape: [1, 2, 2], classes: ['a', 'b', 'c'] };
}

let program: EvaluatedProgram;
let report: SensitivityReport;
let ctx: StageContext;
const progress: StageProgress[] = [];

beforeAll(async () => {
  await getTestDevice();
  const r = evaluate({ 'model.ts': MODEL, 'qconfig.ts': QCONFIG });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  program = r.program;
  ctx = { train: await dataset(64, 3), test: await dataset(32, 5), progress: (p) => progress.push(p), signal: new AbortController().signal };
  const net = plantedNet();
  const float_state_dict = net.state_dict();
  report = await runSensitivity(program, ctx, {
    float_state_dict,
    settings: { testSubset: 32, batchSize: 16, sqnrImages: 8, calibrationBatches: 2, int16Setter: 'qat', target: 0.05 },
  });
  net.dispose();
});

describe('sensitivity stage', () => {
  it('ranks the planted layer first in every table and gives the setter-ready table', () => {
    expect(report.images).toBe(32);
    expect(report.float_accuracy).toBe(1);
    expect(report.tables).toHaveLength(6);
    for (const t of report.tables) expect(t.rows[0]![0], `${t.metric}/${t.mode}`).toBe(PLANTED_NODE);
    expect(report.table).toEqual(report.tables.find((t) => t.metric === 'L1' && t.mode === 'only')!.rows);
    expect(report.nodes.map((n) => n.node)).toEqual(['quant', 'fc1', 'fc2', 'fc3']);
  });

  it('measures per-layer SQNR with the fixed-point model', () => {
    expect(report.fixed).toEqual({ available: true });
    expect(report.layers!.map((l) => l.node)).toEqual(['quant', 'fc1', 'fc2', 'fc3']);
    expect(report.layers!.find((l) => l.node === 'fc3')!.fixed_sqnr!).toBeLessThan(5);
  });

  it('mixed precision: int16 on the planted layer restores the fixed-point accuracy', () => {
    const mixed = report.mixed!;
    expect(mixed.baseline.measured_on).toBe('fixed');
    expect(mixed.baseline.accuracy).toBeLessThan(0.8);
    expect(mixed.reached).toBe(true);
    expect(mixed.int16).toEqual([PLANTED_NODE]);
    expect(mixed.chosen.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(mixed.cost.activation_bytes).toBe(8);
    expect(progress.at(-1)!.fraction).toBe(1);
    expect(progress.every((p) => p.stage === 'sensitivity')).toBe(true);
  });

  it('a cancelled run stops with StageCancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(runSensitivity(program, { ...ctx, signal: controller.signal }, { settings: { testSubset: 16, calibrationBatches: 1 } })).rejects.toBeInstanceOf(StageCancelled);
  });

  it('the downloaded table pasted into qconfig.ts with topk=1 makes the planted layer int16 in the check table', () => {
    const json = sensitivityTableJson(report.table);
    const qconfig = `import { defineConfig, default_qat_qconfig_setter, sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter } from "horizon_plugin_pytorch/quantization";
const table = ${json};
export default defineConfig({
  calibration: { qconfig_setter: [sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter(table, { topk: 1 }), default_qat_qconfig_setter] },
});
`;
    const r = evaluate({ 'model.ts': MODEL, 'qconfig.ts': qconfig });
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    const model = prepareStageModel(r.program, 'calibration');
    const rows = new Map(model.check_result.rows.map((row) => [row.target, row]));
    expect(rows.get(PLANTED_NODE)!.output_dtype).toBe('qint16');
    expect(rows.get('fc1')!.output_dtype).toBe('qint8');
    expect(model.check_result.text).toContain('sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter');
    model.dispose();
  });
});
