import { describe, expect, it } from 'vitest';
import { SENSITIVITY_DEFAULTS } from '../pipeline/sensitivity';
import { DEFAULT_GROUPS, emptyOverrides, groupFlatSettings, mergeOverrides, stageGroup, validateOverrides } from './settings';
import { stageKey, type KeyInputs } from './stageGraph';
import { DEFAULT_SOURCES } from '../editor/defaultSources';

describe('the sensitivity stage settings', () => {
  it('default to the pipeline stage defaults', () => {
    const page = DEFAULT_GROUPS.sensitivity;
    const pipeline = Object.fromEntries(Object.keys(page).map((k) => [k, SENSITIVITY_DEFAULTS[k as keyof typeof SENSITIVITY_DEFAULTS]]));
    expect(page).toEqual(pipeline);
  });

  it('sort a flat patch into the data and sensitivity groups, and name bad values', () => {
    expect(stageGroup('sensitivity')).toBe('sensitivity');
    expect(groupFlatSettings('sensitivity', { testSubset: 64, sqnrImages: 8, calibrationBatches: 2, metric: 'SQNR' })).toEqual({
      data: { testSubset: 64 },
      sensitivity: { sqnrImages: 8, calibrationBatches: 2, metric: 'SQNR' },
    });
    expect(() => validateOverrides({ sensitivity: { target: 2, mode: 'some', epochs: 1 } })).toThrow(
      "Settings: target must be a number in [0, 1], got 2; mode must be one of 'only', 'all_but', got \"some\"; unknown sensitivity setting 'epochs'",
    );
  });

  it('are part of the stage key: changing them makes a sensitivity result stale', () => {
    const inputs = (settings = emptyOverrides()): KeyInputs => ({ files: DEFAULT_SOURCES, settings, analysis: null, runIds: { calibration: 'c1' } });
    const before = stageKey('sensitivity', inputs());
    expect(stageKey('sensitivity', inputs(mergeOverrides(emptyOverrides(), { sensitivity: { sqnrImages: 8 } })))).not.toBe(before);
    expect(stageKey('calibration', inputs(mergeOverrides(emptyOverrides(), { sensitivity: { sqnrImages: 8 } })))).toBe(stageKey('calibration', inputs()));
  });
});
