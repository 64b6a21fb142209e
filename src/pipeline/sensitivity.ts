/**
 * The sensitivity stage: on the calibrated model, the one-at-a-time sensitivity of every quantized op
 * (src/quant/sensitivity.ts) over the first `testSubset` test images, the per-layer SQNR of weights and
 * activations (float vs fake quant vs fixed point), and automatic mixed precision: the smallest set of
 * int16 ops, taken from the sensitivity table, that brings the fixed-point accuracy (fake-quant when the
 * model does not convert; the result says which) within `target` of float. Each candidate is prepared
 * afresh with sensitive_op_*_8bit_weight_16bit_act_qconfig_setter in front of qconfig.ts's calibration
 * setters and calibrated on `calibrationBatches` training batches.
 *
 * The result is plain data; `table` is the debug tool's [node, type, value] table for `metric`/`mode`,
 * most sensitive first, ready for sensitive_op_*_qconfig_setter(table, {topk}) in qconfig.ts.
 */
import { Tensor, keep, tidy } from '../engine/tensor';
import { no_grad } from '../engine/autograd';
import type { ImageDataset } from '../data/idx';
import type { StateDict } from '../nn/state';
import type { EvaluatedProgram } from '../dsl/evaluate';
import { prepareStageModel, runStageSetup } from '../dsl/stage';
import { prepare, type PreparedModel } from '../quant/prepare';
import {
  default_calibration_qconfig_setter,
  sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter,
  sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter,
} from '../quant/setters';
import { set_fake_quantize } from '../quant/fake_quant_state';
import { FakeQuantState } from '../quant/types';
import {
  SENSITIVITY_METRICS,
  analyzeSensitivity,
  sensitivityTable,
  type NodeSensitivity,
  type OutputStats,
  type SensitivityBatch,
  type SensitivityMetric,
  type SensitivityMode,
  type SensitivityRow,
} from '../quant/sensitivity';
import { layerSqnr, type LayerSqnr, type LayerSqnrResult } from '../quant/layer_sqnr';
import { int16Table, measureAccuracy, modelSize, searchMixedPrecision, type AccuracySource, type MixedPrecisionResult } from '../quant/mixed_precision';
import { StageCancelled, type StageContext } from './types';

export interface SensitivitySettings {
  /** The first N test images analysed (0 = all; keep it small: every op runs twice over them). */
  testSubset: number;
  batchSize: number;
  /** The metric and mode of `table` and of the mixed-precision order. */
  metric: SensitivityMetric;
  mode: SensitivityMode;
  /** Per-layer SQNR over the first `sqnrImages` of those images (the fixed-point side runs on the CPU). */
  layerSqnr: boolean;
  sqnrImages: number;
  mixedPrecision: boolean;
  /** Allowed accuracy drop from float for mixed precision, 0..1. */
  target: number;
  /** Where candidate accuracy is measured ('fixed' falls back to fake quant when conversion fails). */
  accuracyOn: AccuracySource;
  /** Which sensitive_op setter flavour gives int16 (the calibration one uses the MSE observer). */
  int16Setter: 'calibration' | 'qat';
  /** Calibration of each candidate (and of the model when no calibrated one is given). */
  calibrationBatches: number;
  calibrationBatchSize: number;
}

export const SENSITIVITY_DEFAULTS: SensitivitySettings = {
  testSubset: 256,
  batchSize: 64,
  metric: 'L1',
  mode: 'only',
  layerSqnr: true,
  sqnrImages: 32,
  mixedPrecision: true,
  target: 0.01,
  accuracyOn: 'fixed',
  int16Setter: 'calibration',
  calibrationBatches: 20,
  calibrationBatchSize: 64,
};

export interface SensitivityStageOptions {
  float_state_dict?: StateDict;
  /** A calibrated prepared model (left to the caller, in eval + VALIDATION). */
  model?: PreparedModel;
  /** Or the calibration checkpoint's state_dict, loaded into a freshly prepared calibration model. */
  calibration_state_dict?: StateDict;
  settings?: Partial<SensitivitySettings>;
}

export interface SensitivityTableOf {
  metric: SensitivityMetric;
  mode: SensitivityMode;
  rows: SensitivityRow[];
}

export interface SensitivityReport {
  settings: SensitivitySettings;
  nodes: NodeSensitivity[];
  /** [node, type, value] for settings.metric / settings.mode, most sensitive first. */
  table: SensitivityRow[];
  /** Every metric × mode that has values. */
  tables: SensitivityTableOf[];
  float_accuracy: number | null;
  all_quantized: OutputStats;
  images: number;
  layers: LayerSqnr[] | null;
  fixed: LayerSqnrResult['fixed'] | null;
  mixed: MixedPrecisionResult | null;
  seconds: number;
}

function testBatches(test: ImageDataset, subset: number, batchSize: number): SensitivityBatch[] {
  const count = subset > 0 ? Math.min(subset, test.count) : test.count;
  const [C, H, W] = test.imageShape;
  const per = C * H * W;
  const batches: SensitivityBatch[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const input = keep(Tensor.fromArray(test.images.subarray(start * per, (start + n) * per), [n, C, H, W]));
    batches.push({ input, labels: test.labels.slice(start, start + n) });
  }
  return batches;
}

/** Calibrates a prepared model on evenly spread training images (eval + CALIBRATION, then VALIDATION). */
async function calibrateModel(program: EvaluatedProgram, model: PreparedModel, train: ImageDataset, batches: number, batchSize: number, signal: AbortSignal): Promise<void> {
  model.eval();
  set_fake_quantize(model, FakeQuantState.CALIBRATION);
  runStageSetup(program, 'calibration', model);
  const [C, H, W] = train.imageShape;
  const per = C * H * W;
  const total = Math.min(train.count, batches * batchSize);
  const stride = Math.max(1, Math.floor(train.count / total));
  for (let start = 0; start < total; start += batchSize) {
    if (signal.aborted) throw new StageCancelled('sensitivity');
    const n = Math.min(batchSize, total - start);
    const data = new Float32Array(n * per);
    for (let i = 0; i < n; i++) {
      const k = ((start + i) * stride) % train.count;
      data.set(train.images.subarray(k * per, (k + 1) * per), i * per);
    }
    no_grad(() => tidy(() => void model(Tensor.fromArray(data, [n, C, H, W]))));
    // Let the GPU drain between batches, so the worker stays responsive.
    await Promise.resolve();
  }
  model.eval();
  set_fake_quantize(model, FakeQuantState.VALIDATION);
}

function calibrationDefaults(program: EvaluatedProgram): Partial<SensitivitySettings> {
  const c = program.config.calibration;
  const out: Partial<SensitivitySettings> = {};
  if (c.batchSize !== undefined) out.calibrationBatchSize = c.batchSize;
  return out;
}

/** A calibration-stage model with int16 activations for `nodes` (sensitive_op setter in front). */
function prepareCandidate(program: EvaluatedProgram, nodes: readonly string[], settings: SensitivitySettings, floatState?: StateDict): PreparedModel {
  const config = program.config.calibration;
  const model = program.createModel();
  if (floatState) model.load_state_dict(floatState);
  config.set_qconfig?.(model);
  const base = config.qconfig_setter.length || config.set_qconfig ? config.qconfig_setter : [default_calibration_qconfig_setter];
  const setter = settings.int16Setter === 'qat' ? sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter : sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter;
  return prepare(model, {
    qconfig_setter: nodes.length ? [setter(int16Table(nodes), { topk: nodes.length }), ...base] : base,
    high_precision_output: config.high_precision_output ?? true,
  });
}

export async function runSensitivity(program: EvaluatedProgram, ctx: StageContext, options: SensitivityStageOptions = {}): Promise<SensitivityReport> {
  const started = performance.now();
  const settings: SensitivitySettings = { ...SENSITIVITY_DEFAULTS, ...calibrationDefaults(program), ...options.settings };
  const report = (fraction: number, message: string) => ctx.progress({ stage: 'sensitivity', fraction, message });
  const batches = testBatches(ctx.test, settings.testSubset, settings.batchSize);
  let own: PreparedModel | null = null;
  try {
    let model = options.model;
    if (!model) {
      own = prepareStageModel(program, 'calibration', { float_state_dict: options.float_state_dict });
      if (options.calibration_state_dict) {
        own.load_state_dict(options.calibration_state_dict);
        own.eval();
        set_fake_quantize(own, FakeQuantState.VALIDATION);
      } else {
        report(0, 'calibrating');
        await calibrateModel(program, own, ctx.train, settings.calibrationBatches, settings.calibrationBatchSize, ctx.signal);
      }
      model = own;
    }

    // One-at-a-time sensitivity: most of the work when there is no mixed-precision search.
    const share = settings.mixedPrecision ? 0.5 : 0.9;
    const analysis = await analyzeSensitivity(model, batches, {
      signal: ctx.signal,
      onProgress: (done, total, what) => report((share * done) / total, `sensitivity: ${what} (${done}/${total})`),
    });
    const tables: SensitivityTableOf[] = [];
    for (const mode of analysis.modes) {
      for (const metric of SENSITIVITY_METRICS) {
        if (metric === 'accuracy' && analysis.float_accuracy === null) continue;
        tables.push({ metric, mode, rows: sensitivityTable(analysis, metric, mode) });
      }
    }
    const table = sensitivityTable(analysis, settings.metric, settings.mode);

    let layers: LayerSqnr[] | null = null;
    let fixed: LayerSqnrResult['fixed'] | null = null;
    if (settings.layerSqnr) {
      report(share, 'per-layer SQNR (float, fake quant, fixed point)');
      const images = Math.max(1, settings.sqnrImages);
      const inputs: Tensor[] = [];
      let left = images;
      for (const b of batches) {
        if (left <= 0) break;
        const n = Math.min(left, b.input.shape[0]!);
        inputs.push(n === b.input.shape[0] ? b.input : keep(Tensor.fromArray((await b.input.read()).subarray(0, n * (b.input.numel / b.input.shape[0]!)), [n, ...b.input.shape.slice(1)])));
        left -= n;
      }
      try {
        const r = await layerSqnr(model, inputs);
        layers = r.layers;
        fixed = r.fixed;
      } finally {
        for (const x of inputs) if (!batches.some((b) => b.input === x)) x.dispose();
      }
    }

    let mixed: MixedPrecisionResult | null = null;
    if (settings.mixedPrecision) {
      if (analysis.float_accuracy === null) throw new Error('sensitivity: mixed precision needs labelled test images');
      const floatAccuracy = analysis.float_accuracy;
      let measured = 0;
      mixed = await searchMixedPrecision({
        table,
        float_accuracy: floatAccuracy,
        target: settings.target,
        signal: ctx.signal,
        evaluate: async (nodes) => {
          report(share + (1 - share) * Math.min(0.95, measured / (table.length + 2)), `mixed precision: int16 for ${nodes.length ? nodes.join(', ') : 'none'}`);
          measured++;
          const candidate = prepareCandidate(program, nodes, settings, options.float_state_dict);
          try {
            await calibrateModel(program, candidate, ctx.train, settings.calibrationBatches, settings.calibrationBatchSize, ctx.signal);
            const accuracy = await measureAccuracy(candidate, batches, settings.accuracyOn);
            return { ...accuracy, size: modelSize(candidate, batches[0]!.input) };
          } finally {
            candidate.dispose();
          }
        },
      });
    }
    report(1, 'done');
    return {
      settings,
      nodes: analysis.nodes,
      table,
      tables,
      float_accuracy: analysis.float_accuracy,
      all_quantized: analysis.all_quantized,
      images: analysis.images,
      layers,
      fixed,
      mixed,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (e) {
    if (ctx.signal.aborted) throw new StageCancelled('sensitivity');
    throw e;
  } finally {
    own?.dispose();
    for (const b of batches) b.input.dispose();
  }
}
