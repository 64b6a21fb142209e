/**
 * What the worker sends back for the code check and for each stage: plain data (safe to postMessage and
 * to keep in IndexedDB). Both sides import these through protocol.ts.
 */
import type { Diagnostic, GraphSummaryNode, CheckResult } from '../dsl/index';
import type { SensitivityReport } from '../pipeline/sensitivity';
import type { StageName, StageProgress } from '../pipeline/types';
import type { SettingGroups, SettingsOverrides } from '../store/settings';

export type { StageProgress };

export interface SourceTexts {
  'model.ts': string;
  'qconfig.ts': string;
}

/** Stage settings qconfig.ts sets (`defineConfig({ float: {...}, qat: {...} })`), as plain data. */
export interface QconfigSettings {
  float: Partial<SettingGroups['float'] & SettingGroups['data']>;
  calibration: Partial<SettingGroups['calibration']>;
  qat: Partial<SettingGroups['qat'] & SettingGroups['data']>;
}

/** The code check (on Run or "Check code"): evaluated, traced, fused and prepared, or where it failed. */
export type AnalysisResult =
  | {
      ok: true;
      /** The traced model before fusion. */
      traced: GraphSummaryNode[];
      /** The fused model after prepare for QAT, with each node's output dtype. */
      fused: GraphSummaryNode[];
      /** The check tables of prepare for each stage (model_check_result.txt). */
      check: { calibration: CheckResult; qat: CheckResult };
      qconfigSettings: QconfigSettings;
      /** Float parameters and their size in bytes (float32). */
      parameters: number;
      floatBytes: number;
      seconds: number;
    }
  | { ok: false; diagnostics: Diagnostic[] };

/** What every stage request carries: the code, the setting overrides, and which earlier runs it builds on. */
export interface StageRequest {
  files: SourceTexts;
  settings: SettingsOverrides;
  /** The id under which this run's artifacts (checkpoints) are kept. */
  runId: string;
  /** Run ids of the earlier stages' artifacts this stage reads (`{ float: 'r3' }`). */
  inputs: Partial<Record<StageName, string>>;
}

/** One point of the live charts. */
export interface MetricPoint {
  step: number;
  epoch: number;
  loss: number;
  accuracy: number;
  lr: number;
}

/** A fake quantizer's parameters as the per-layer table shows them. */
export interface LayerQuantization {
  /** Module path (`backbone.conv1`; the check table's target). */
  name: string;
  /** QAT module type (ConvBnReLU2d, QuantStub, ...). */
  type?: string;
  /** Output dtype and its quantization. */
  dtype: string;
  scale: number[];
  zeroPoint: number[];
  observer: string;
  weightDtype?: string;
  weightScale?: number[];
  weightZeroPoint?: number[];
  /** Float range the output observer saw. */
  min?: number;
  max?: number;
}

/** Fake quant (or fixed point) against float, per layer. */
export interface LayerComparison {
  name: string;
  /** The compared output's dtype (an int32 output's LSB is tiny: its LSB differences are large). */
  dtype?: string;
  /** Signal-to-quantization-noise ratio in dB against the float model's output of this layer. */
  sqnr?: number;
  /** Largest difference between fake-quant and fixed-point outputs, in units of the output's LSB. */
  maxLsb?: number;
  meanLsb?: number;
}

interface StageResultBase {
  runId: string;
  seconds: number;
  /** The settings the stage ran with (defaults, then qconfig.ts, then the page's overrides). */
  settings: Record<string, unknown>;
}

export interface EvaluationSummary {
  /** 0..1 */
  accuracy: number;
  loss: number;
  count: number;
}

export interface TrainStageResult extends StageResultBase {
  accuracy: number;
  test: EvaluationSummary;
  imagesPerSecond: number;
  epochs: number;
  steps: number;
  finalLoss: number;
  history: MetricPoint[];
  /** Parameters at their deployed width (float32 for float training; integer weights after QAT). */
  modelBytes: number;
  layers?: LayerQuantization[];
  warnings?: string[];
}

export interface CalibrationStageResult extends StageResultBase {
  batches: number;
  images: number;
  imagesPerSecond: number;
  layers: LayerQuantization[];
  /** Fake-quant test accuracy after calibration, when the stage measured it. */
  accuracy?: number;
  test?: EvaluationSummary;
  modelBytes: number;
  warnings: string[];
}

export interface ValidationStageResult extends StageResultBase {
  /** Which fake-quant model was evaluated. */
  of: 'calibration' | 'qat';
  accuracy: number;
  test: EvaluationSummary;
  layers: LayerComparison[];
}

export interface ConvertStageResult extends StageResultBase {
  from: 'calibration' | 'qat';
  /** Bytes of the integer model's tensors (weights, biases, requantization tables). */
  modelBytes: number;
  requantMode: 'multiplier' | 'float';
  ops: number;
  layers: LayerQuantization[];
  /** What conversion wants the user to know (uncalibrated scales, inserted ops). */
  notes: string[];
}

export interface FixedStageResult extends StageResultBase {
  accuracy: number;
  test: EvaluationSummary;
  imagesPerSecond: number;
  /** Where the integer model ran. */
  backend: 'webgpu' | 'cpu';
  layers: LayerComparison[];
}

export interface CheckViolation {
  severity: 'error' | 'warning' | 'info';
  layer: string;
  op: string;
  rule: string;
  message: string;
  fix: string;
}

export interface CheckStageResult extends StageResultBase {
  march: string;
  /** The per-layer table: each op of the integer model with its dtypes, scale(s) and zero point. */
  layers: LayerRow[];
  violations: CheckViolation[];
  passed: boolean;
  summary: { ops: number; macs: number; weight_bytes: number; errors: number; warnings: number };
  /** The check report as text (model_check_result.txt). */
  report: string;
}

export interface DownloadFile {
  name: string;
  mime: string;
  bytes: number;
  data: ArrayBuffer;
  description: string;
}

export interface CompileStageResult extends StageResultBase {
  files: DownloadFile[];
}

export interface SensitivityStageResult extends StageResultBase {
  report: SensitivityReport;
}

export interface StageResults {
  float: TrainStageResult;
  calibration: CalibrationStageResult;
  validation: ValidationStageResult;
  qat: TrainStageResult;
  convert: ConvertStageResult;
  fixed: FixedStageResult;
  check: CheckStageResult;
  compile: CompileStageResult;
  sensitivity: SensitivityStageResult;
}

export type AnyStageResult = StageResults[StageName];

/** A row of the page's per-layer table: the check table joined with quantization and comparisons. */
export interface LayerRow {
  name: string;
  type: string;
  dtype: string;
  weightDtype: string | null;
  scale: number[];
  zeroPoint: number[];
  observer: string;
  sqnr: number | null;
  maxLsb: number | null;
}

/** Test images an activation histogram is taken on. */
export const ACTIVATION_IMAGES = 64;

/** A histogram of one layer's weights or activations, with the quantization grid it was given. */
export interface HistogramParams {
  stage: 'float' | 'calibration' | 'qat';
  /** The editor files (activations run the model the checkpoint belongs to). */
  files?: SourceTexts;
  runId: string;
  layer: string;
  kind: 'weight' | 'activation';
  bins: number;
}

export interface HistogramResult {
  layer: string;
  kind: 'weight' | 'activation';
  /** Bin edges: `counts.length + 1` values. */
  edges: number[];
  counts: number[];
  min: number;
  max: number;
  /** The quantization grid (per tensor, or the channel with the widest range): y = (q - zeroPoint) * scale. */
  grid: { scale: number; zeroPoint: number; quantMin: number; quantMax: number; dtype: string } | null;
}
