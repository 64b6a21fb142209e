/** Stage settings, validated as they come in (from the page or `window.qatPlayground`). */
import type { TrainSettings } from '../pipeline/types';
import type { SliceCreator } from './types';

export interface PlaygroundSettings extends TrainSettings {
  /** Batches the calibration stage observes (Horizon's default is 100). */
  calibrationBatches: number;
}

/** The float recipe of the reference CNN: SGD(lr 0.05, momentum 0.9, weight decay 4e-5), batch 64, 3 epochs. */
export const DEFAULT_SETTINGS: PlaygroundSettings = {
  trainSubset: 0,
  testSubset: 0,
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
  seed: 0,
  calibrationBatches: 100,
};

type Check = (value: unknown) => string | null;

const count = (min: number): Check => (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min ? null : `an integer ≥ ${min}`;
const positive: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? null : 'a number > 0');
const nonNegative: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : 'a number ≥ 0');
const oneOf = (...options: string[]): Check => (v) =>
  typeof v === 'string' && options.includes(v) ? null : `one of ${options.map((o) => `'${o}'`).join(', ')}`;
const milestones: Check = (v) =>
  Array.isArray(v) && v.every((m, i) => Number.isInteger(m) && m > 0 && (i === 0 || m > v[i - 1])) ? null : 'increasing positive integers';

const CHECKS: { [K in keyof PlaygroundSettings]: Check } = {
  trainSubset: count(0),
  testSubset: count(0),
  epochs: count(1),
  batchSize: count(1),
  lr: positive,
  momentum: nonNegative,
  weightDecay: nonNegative,
  optimizer: oneOf('sgd', 'adam', 'adamw'),
  schedule: oneOf('constant', 'step', 'multistep', 'cosine'),
  stepSize: count(1),
  gamma: positive,
  milestones,
  warmupEpochs: count(0),
  seed: count(0),
  calibrationBatches: count(1),
};

/** Checks a partial settings object; throws one error listing every bad or unknown key. */
export function validateSettings(patch: Record<string, unknown>): Partial<PlaygroundSettings> {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    const check = CHECKS[key as keyof PlaygroundSettings];
    if (!check) {
      problems.push(`unknown setting '${key}' (known: ${Object.keys(CHECKS).join(', ')})`);
      continue;
    }
    const expected = check(value);
    if (expected) problems.push(`${key} must be ${expected}, got ${JSON.stringify(value)}`);
  }
  if (problems.length) throw new Error(`Settings: ${problems.join('; ')}`);
  return patch as Partial<PlaygroundSettings>;
}

export interface SettingsSlice {
  settings: PlaygroundSettings;
  setSettings(patch: Partial<PlaygroundSettings>): void;
}

export const createSettingsSlice: SliceCreator<SettingsSlice> = () => (set, get) => ({
  settings: { ...DEFAULT_SETTINGS },
  setSettings(patch) {
    const valid = validateSettings(patch as Record<string, unknown>);
    set((state) => ({ settings: { ...state.settings, ...valid } }));
    get().invalidateStages();
  },
});
