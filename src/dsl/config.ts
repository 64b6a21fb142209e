/**
 * What qconfig.ts exports: per stage, the qconfig setters (or an eager `set_qconfig(model)`), an optional
 * `setup(model)` run after prepare and set_fake_quantize (freeze a backbone there), and stage settings.
 *
 *   export default defineConfig({
 *     calibration: { qconfig_setter: [default_calibration_qconfig_setter], calibrationBatches: 100 },
 *     qat: { qconfig_setter: [default_qat_qconfig_setter], epochs: 1, lr: 0.001 },
 *   });
 *
 * Named exports work too (`export const qat = {...}`, or `calibration_qconfig_setter` /
 * `qat_qconfig_setter` arrays).
 */
import type { Module } from '../nn/module';
import type { GraphModule } from '../graph/graph_module';
import type { TrainSettings } from '../pipeline/types';
import { isQconfigSetter, type QconfigSetter } from '../quant/setters';

export interface StageQuantConfig {
  /** Setters applied in order; the first that decides an op wins. */
  qconfig_setter?: QconfigSetter | readonly QconfigSetter[];
  /** Eager style: set `model.qconfig = ...` (and on submodules) on the float model before prepare. */
  set_qconfig?: (model: Module) => void;
  /** Runs after prepare and set_fake_quantize(model, <the stage's state>): e.g. freeze a backbone. */
  setup?: (model: GraphModule) => void;
  /** A final conv/linear keeps an int32 output (default true). */
  high_precision_output?: boolean;
}

export interface CalibrationConfig extends StageQuantConfig {
  /** Batches observed (default 100). */
  calibrationBatches?: number;
  batchSize?: number;
}

export type QatConfig = StageQuantConfig & Partial<TrainSettings>;

export interface PlaygroundConfigInput {
  float?: Partial<TrainSettings>;
  calibration?: CalibrationConfig;
  qat?: QatConfig;
}

/** Normalized: setters always an array, stages always present. */
export interface PlaygroundConfig {
  float: Partial<TrainSettings>;
  calibration: CalibrationConfig & { qconfig_setter: QconfigSetter[] };
  qat: QatConfig & { qconfig_setter: QconfigSetter[] };
}

/** Gives qconfig.ts type checking and autocomplete; returns its argument. */
export function defineConfig(config: PlaygroundConfigInput): PlaygroundConfigInput {
  return config;
}

const TRAIN_KEYS: readonly (keyof TrainSettings)[] = [
  'trainSubset', 'testSubset', 'epochs', 'batchSize', 'lr', 'momentum', 'weightDecay', 'optimizer', 'schedule', 'stepSize',
  'gamma', 'milestones', 'warmupEpochs', 'seed',
];
const QUANT_KEYS = ['qconfig_setter', 'set_qconfig', 'setup', 'high_precision_output'];
const STAGE_KEYS: Record<keyof PlaygroundConfigInput, readonly string[]> = {
  float: TRAIN_KEYS,
  calibration: [...QUANT_KEYS, 'calibrationBatches', 'batchSize'],
  qat: [...QUANT_KEYS, ...TRAIN_KEYS],
};

function checkStage(stage: keyof PlaygroundConfigInput, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`qconfig.ts: '${stage}' must be an object`);
  const unknown = Object.keys(value).filter((k) => !STAGE_KEYS[stage].includes(k));
  if (unknown.length) {
    throw new Error(`qconfig.ts: unknown ${stage} option ${unknown.map((k) => `'${k}'`).join(', ')} (options: ${STAGE_KEYS[stage].join(', ')})`);
  }
  for (const key of ['set_qconfig', 'setup']) {
    const fn = (value as Record<string, unknown>)[key];
    if (fn !== undefined && typeof fn !== 'function') throw new Error(`qconfig.ts: ${stage}.${key} must be a function of the model`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (TRAIN_KEYS.includes(key as keyof TrainSettings) || key === 'calibrationBatches') {
      const ok = key === 'optimizer' || key === 'schedule' ? typeof v === 'string' : key === 'milestones' ? Array.isArray(v) : typeof v === 'number' && Number.isFinite(v);
      if (!ok) throw new Error(`qconfig.ts: ${stage}.${key} has a bad value (${JSON.stringify(v)})`);
    }
  }
  return value as Record<string, unknown>;
}

function setters(stage: string, value: unknown): QconfigSetter[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((s, i) => {
    if (!isQconfigSetter(s)) {
      throw new Error(
        `qconfig.ts: ${stage}.qconfig_setter[${i}] is not a qconfig setter (got ${s === null ? 'null' : typeof s}); ` +
          'use the templates (default_qat_qconfig_setter, ...), sensitive_op_*(...) or ModuleNameQconfigSetter({...})',
      );
    }
    return s;
  });
}

export function normalizeConfig(exports: Record<string, unknown>): PlaygroundConfig {
  const base = (exports.default && typeof exports.default === 'object' ? exports.default : {}) as Record<string, unknown>;
  const pick = (key: keyof PlaygroundConfigInput) => ({ ...checkStage(key, base[key]), ...checkStage(key, exports[key]) });
  const calibration = pick('calibration');
  const qat = pick('qat');
  const float = pick('float');
  return {
    float: float as Partial<TrainSettings>,
    calibration: {
      ...(calibration as CalibrationConfig),
      qconfig_setter: setters('calibration', calibration.qconfig_setter ?? exports.calibration_qconfig_setter),
    },
    qat: { ...(qat as QatConfig), qconfig_setter: setters('qat', qat.qconfig_setter ?? exports.qat_qconfig_setter) },
  };
}
