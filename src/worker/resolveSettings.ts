/**
 * A stage's effective settings: its defaults, then what qconfig.ts sets for that stage, then the page's
 * overrides (what a person typed, `run(stage, settings)`, a share link).
 */
import type { TrainSettings } from '../pipeline/types';
import { DEFAULT_GROUPS, type SettingGroups, type SettingsOverrides } from '../store/settings';
import type { QconfigSettings } from './results';

const DATA_KEYS = ['trainSubset', 'testSubset', 'seed'] as const;

function dataFrom(source: Partial<Record<string, unknown>>): Partial<SettingGroups['data']> {
  const out: Record<string, unknown> = {};
  for (const key of DATA_KEYS) if (source[key] !== undefined) out[key] = source[key];
  return out as Partial<SettingGroups['data']>;
}

function withoutData<T extends object>(source: T): T {
  const out = { ...source } as Record<string, unknown>;
  for (const key of DATA_KEYS) delete out[key];
  return out as T;
}

/** Float or QAT training settings, as src/pipeline's TrainSettings. */
export function resolveTrainSettings(stage: 'float' | 'qat', overrides: SettingsOverrides, qconfig: QconfigSettings): TrainSettings {
  return {
    ...DEFAULT_GROUPS.data,
    ...DEFAULT_GROUPS[stage],
    ...withoutData(qconfig[stage]),
    ...dataFrom(qconfig[stage]),
    ...overrides.data,
    ...overrides[stage],
  };
}

export function resolveCalibrationSettings(overrides: SettingsOverrides, qconfig: QconfigSettings): SettingGroups['calibration'] & SettingGroups['data'] {
  return { ...DEFAULT_GROUPS.data, ...DEFAULT_GROUPS.calibration, ...qconfig.calibration, ...overrides.data, ...overrides.calibration };
}

export function resolveDataSettings(overrides: SettingsOverrides): SettingGroups['data'] {
  return { ...DEFAULT_GROUPS.data, ...overrides.data };
}

export function resolveGroup<G extends 'convert' | 'check' | 'compile' | 'sensitivity'>(group: G, overrides: SettingsOverrides): SettingGroups[G] {
  return { ...DEFAULT_GROUPS[group], ...overrides[group] } as SettingGroups[G];
}
