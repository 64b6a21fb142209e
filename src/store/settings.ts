/**
 * Stage settings. The page keeps *overrides* only: a value a person typed (or `run(stage, settings)` /
 * a share link gave). A stage's effective value is its default, then qconfig.ts's value for that stage
 * (`defineConfig({ qat: { lr: 0.001 } })`), then the override; the worker resolves it (it has qconfig.ts).
 *
 * Settings come in groups: `data` (subsets and seed, shared by every stage) and one group per stage that
 * has settings of its own. The automation API takes flat objects (`{ trainSubset: 512, epochs: 1 }`) and
 * sorts the keys into the data group and the stage's group.
 */
import type { StageName, TrainSettings } from '../pipeline/types';
import type { SliceCreator } from './types';

export interface DataSettings {
  /** Training images used (the first N after a seeded shuffle); 0 = all 60,000. */
  trainSubset: number;
  /** Test images evaluated; 0 = all 10,000. */
  testSubset: number;
  seed: number;
}

export type TrainStageSettings = Omit<TrainSettings, keyof DataSettings>;

export interface CalibrationSettings {
  /** Batches the calibration stage observes (Horizon's default is 100). */
  calibrationBatches: number;
  batchSize: number;
}

export interface ConvertSettings {
  /** Requantization: an integer multiplier and shift (a chip, gemmlowp) or float32 rounding (PyTorch qnnpack, ONNX Runtime). */
  requantMode: 'multiplier' | 'float';
  /** Which fake-quant model becomes the integer model. */
  from: 'qat' | 'calibration';
}

export interface CheckSettings {
  /** Target profile of check_model: 'bayes' (int8/int16) or 'bernoulli2' (int8 only). */
  march: 'bayes' | 'bernoulli2';
}

export interface CompileSettings {
  /** ONNX with QLinearConv/QLinearMatMul ('qoperator') or ConvInteger/MatMulInteger ('integer'). */
  onnxStyle: 'qoperator' | 'integer';
  /** Weights inside the PyTorch script instead of a JSON file beside it. */
  embedWeights: boolean;
}

/** The sensitivity stage's own settings (the rest of src/pipeline/sensitivity.ts's keep their defaults). */
export interface SensitivityPageSettings {
  /** The metric and mode of the table the bars, the download, the order and mixed precision use. */
  metric: 'L1' | 'SQNR' | 'accuracy';
  mode: 'only' | 'all_but';
  /** Test images of the per-layer SQNR (its fixed-point side runs on the CPU). */
  sqnrImages: number;
  mixedPrecision: boolean;
  /** Allowed fixed-point accuracy drop from float for mixed precision, 0..1. */
  target: number;
  /** Calibration batches of each mixed-precision candidate. */
  calibrationBatches: number;
}

export interface SettingGroups {
  data: DataSettings;
  float: TrainStageSettings;
  calibration: CalibrationSettings;
  qat: TrainStageSettings;
  convert: ConvertSettings;
  check: CheckSettings;
  compile: CompileSettings;
  sensitivity: SensitivityPageSettings;
}

export type SettingGroup = keyof SettingGroups;
export const SETTING_GROUPS: readonly SettingGroup[] = ['data', 'float', 'calibration', 'qat', 'convert', 'check', 'compile', 'sensitivity'];

export type SettingsOverrides = { [G in SettingGroup]: Partial<SettingGroups[G]> };

/** A flat settings object as `run(stage, settings)` and `setSettings` take it. */
export type FlatSettings = Partial<DataSettings & TrainStageSettings & CalibrationSettings & ConvertSettings & CheckSettings & CompileSettings & SensitivityPageSettings>;

export const DEFAULT_DATA: DataSettings = { trainSubset: 0, testSubset: 0, seed: 0 };

/** The float recipe of the reference CNN: SGD(lr 0.05, momentum 0.9, weight decay 4e-5), batch 64, 3 epochs. */
export const DEFAULT_FLOAT: TrainStageSettings = {
  epochs: 3,
  batchSize: 64,
  lr: 0.05,
  momentum: 0.9,
  weightDecay: 4e-5,
  optimizer: 'sgd',
  schedule: 'constant',
  stepSize: 1,
  gamma: 0.1,
  milestones: [],
  warmupEpochs: 0,
};

/**
 * Horizon's QAT recommendation for the default float recipe (src/pipeline/qat.ts qatDefaults): SGD, lr
 * 0.001 decayed ×0.1 twice (StepLR every third of the run), about 10% of the float epochs, weight decay
 * as in float.
 */
export const DEFAULT_QAT: TrainStageSettings = { ...DEFAULT_FLOAT, epochs: 1, lr: 0.001, schedule: 'step', stepSize: 1 / 3, gamma: 0.1 };

const DEFAULTS: SettingGroups = {
  data: DEFAULT_DATA,
  float: DEFAULT_FLOAT,
  calibration: { calibrationBatches: 100, batchSize: 64 },
  qat: DEFAULT_QAT,
  convert: { requantMode: 'multiplier', from: 'qat' },
  check: { march: 'bayes' },
  compile: { onnxStyle: 'qoperator', embedWeights: false },
  // As SENSITIVITY_DEFAULTS in src/pipeline/sensitivity.ts (src/store/settings.test.ts holds them equal).
  sensitivity: { metric: 'L1', mode: 'only', sqnrImages: 32, mixedPrecision: true, target: 0.01, calibrationBatches: 20 },
};
export const DEFAULT_GROUPS: Readonly<SettingGroups> = Object.freeze(DEFAULTS);

export function emptyOverrides(): SettingsOverrides {
  return { data: {}, float: {}, calibration: {}, qat: {}, convert: {}, check: {}, compile: {}, sensitivity: {} };
}

/** The group a stage's own settings live in (stages without settings of their own use only `data`). */
export function stageGroup(stage: StageName): Exclude<SettingGroup, 'data'> | null {
  switch (stage) {
    case 'float':
    case 'calibration':
    case 'qat':
    case 'convert':
    case 'check':
    case 'compile':
    case 'sensitivity':
      return stage;
    default:
      return null;
  }
}

type Check = (value: unknown) => string | null;

const count = (min: number): Check => (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min ? null : `an integer ≥ ${min}`;
const positive: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? null : 'a number > 0');
const nonNegative: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : 'a number ≥ 0');
const oneOf = (...options: string[]): Check => (v) =>
  typeof v === 'string' && options.includes(v) ? null : `one of ${options.map((o) => `'${o}'`).join(', ')}`;
const milestones: Check = (v) =>
  Array.isArray(v) && v.every((m, i) => Number.isInteger(m) && m > 0 && (i === 0 || m > v[i - 1])) ? null : 'increasing positive integers';
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'true or false');

const TRAIN_CHECKS: { [K in keyof TrainStageSettings]: Check } = {
  epochs: count(1),
  batchSize: count(1),
  lr: positive,
  momentum: nonNegative,
  weightDecay: nonNegative,
  optimizer: oneOf('sgd', 'adam', 'adamw'),
  schedule: oneOf('constant', 'step', 'multistep', 'cosine'),
  stepSize: positive,
  gamma: positive,
  milestones,
  warmupEpochs: count(0),
};

const CHECKS: { [G in SettingGroup]: { [K in keyof SettingGroups[G]]: Check } } = {
  data: { trainSubset: count(0), testSubset: count(0), seed: count(0) },
  float: TRAIN_CHECKS,
  calibration: { calibrationBatches: count(1), batchSize: count(1) },
  qat: TRAIN_CHECKS,
  convert: { requantMode: oneOf('multiplier', 'float'), from: oneOf('qat', 'calibration') },
  check: { march: oneOf('bayes', 'bernoulli2') },
  compile: { onnxStyle: oneOf('qoperator', 'integer'), embedWeights: bool },
  sensitivity: {
    metric: oneOf('L1', 'SQNR', 'accuracy'),
    mode: oneOf('only', 'all_but'),
    sqnrImages: count(1),
    mixedPrecision: bool,
    target: (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? null : 'a number in [0, 1]'),
    calibrationBatches: count(1),
  },
};

/** Checks one group's patch; returns the problems (empty when every key is known and good). */
function groupProblems(group: SettingGroup, patch: Record<string, unknown>): string[] {
  const checks = CHECKS[group] as Record<string, Check>;
  const problems: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    const check = checks[key] as Check | undefined;
    if (!check) {
      problems.push(`unknown ${group} setting '${key}' (known: ${Object.keys(checks).join(', ')})`);
      continue;
    }
    // undefined removes an override (see mergeOverrides).
    if (value === undefined) continue;
    const expected = check(value);
    if (expected) problems.push(`${key} must be ${expected}, got ${JSON.stringify(value)}`);
  }
  return problems;
}

/** Checks a grouped patch (`{ qat: { lr: 0.01 } }`); throws one error listing every bad or unknown key. */
export function validateOverrides(patch: unknown): Partial<SettingsOverrides> {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw new Error(`Settings: expected an object of groups, got ${JSON.stringify(patch)}`);
  const problems: string[] = [];
  for (const [group, values] of Object.entries(patch)) {
    if (!SETTING_GROUPS.includes(group as SettingGroup)) {
      problems.push(`unknown settings group '${group}' (groups: ${SETTING_GROUPS.join(', ')})`);
    } else if (!values || typeof values !== 'object' || Array.isArray(values)) {
      problems.push(`${group} must be an object of settings`);
    } else {
      problems.push(...groupProblems(group as SettingGroup, values as Record<string, unknown>));
    }
  }
  if (problems.length) throw new Error(`Settings: ${problems.join('; ')}`);
  return patch as Partial<SettingsOverrides>;
}

/**
 * Sorts a flat patch for `stage` into groups: data keys to `data`, the rest to the stage's group.
 * Throws one error naming every key the stage does not have and every bad value.
 */
export function groupFlatSettings(stage: StageName, flat: unknown): Partial<SettingsOverrides> {
  if (!flat || typeof flat !== 'object' || Array.isArray(flat)) throw new Error(`Settings for ${stage}: expected an object, got ${JSON.stringify(flat)}`);
  const group = stageGroup(stage);
  const out: Partial<Record<SettingGroup, Record<string, unknown>>> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(flat)) {
    const target: SettingGroup | null = key in CHECKS.data ? 'data' : group && key in CHECKS[group] ? group : null;
    if (!target) {
      const known = [...Object.keys(CHECKS.data), ...(group ? Object.keys(CHECKS[group]) : [])];
      problems.push(`${stage} has no setting '${key}' (its settings: ${known.join(', ')})`);
      continue;
    }
    (out[target] ??= {})[key] = value;
  }
  for (const [g, values] of Object.entries(out)) problems.push(...groupProblems(g as SettingGroup, values));
  if (problems.length) throw new Error(`Settings: ${problems.join('; ')}`);
  return out as Partial<SettingsOverrides>;
}

/**
 * Overrides with `patch` applied; `undefined` removes an override. A value equal to the default is kept:
 * qconfig.ts may set another value, and the override must still win over it.
 */
export function mergeOverrides(current: SettingsOverrides, patch: Partial<SettingsOverrides>): SettingsOverrides {
  const next = { ...current };
  for (const group of SETTING_GROUPS) {
    const values = patch[group];
    if (!values) continue;
    const merged: Record<string, unknown> = { ...current[group] };
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete merged[key];
      else merged[key] = value;
    }
    (next as Record<SettingGroup, unknown>)[group] = merged;
  }
  return next;
}

export function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** A group's values as the page shows them: default ← qconfig.ts (when known) ← override. */
export function effectiveGroup<G extends SettingGroup>(
  group: G,
  overrides: SettingsOverrides,
  fromQconfig: Partial<SettingGroups[G]> = {},
): SettingGroups[G] {
  const values = { ...DEFAULT_GROUPS[group], ...fromQconfig, ...overrides[group] } as SettingGroups[G];
  if (group === 'qat') {
    // QAT's StepLR decays twice in the run unless a step size is given (as qatSettings does).
    const qat = values as TrainStageSettings;
    const given = (fromQconfig as Partial<TrainStageSettings>).stepSize ?? (overrides.qat as Partial<TrainStageSettings>).stepSize;
    if (qat.schedule === 'step' && given === undefined) qat.stepSize = qat.epochs / 3;
  }
  return values;
}

export interface SettingsSlice {
  settings: SettingsOverrides;
  /** Applies a grouped patch (`{ data: { trainSubset: 512 }, qat: { epochs: 1 } }`); validates everything first. */
  updateSettings(patch: Partial<SettingsOverrides>): void;
  /** Applies a flat patch to `stage`'s settings (data keys go to the shared group). */
  setStageSettings(stage: StageName, flat: FlatSettings): void;
  /** Drops every override of one group (back to qconfig.ts / the defaults). */
  resetSettings(group?: SettingGroup): void;
}

export const createSettingsSlice: SliceCreator<SettingsSlice> = () => (set) => ({
  settings: emptyOverrides(),
  updateSettings(patch) {
    const valid = validateOverrides(patch);
    set((state) => ({ settings: mergeOverrides(state.settings, valid) }));
  },
  setStageSettings(stage, flat) {
    const grouped = groupFlatSettings(stage, flat);
    set((state) => ({ settings: mergeOverrides(state.settings, grouped) }));
  },
  resetSettings(group) {
    set((state) => ({ settings: group ? { ...state.settings, [group]: {} } : emptyOverrides() }));
  },
});
