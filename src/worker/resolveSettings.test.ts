import { describe, expect, it } from 'vitest';
import { emptyOverrides } from '../store/settings';
import { resolveCalibrationSettings, resolveGroup, resolveTrainSettings } from './resolveSettings';

describe('effective stage settings', () => {
  it('takes the defaults, then qconfig.ts, then the page overrides', () => {
    const overrides = { ...emptyOverrides(), data: { trainSubset: 512 }, qat: { epochs: 2 } };
    const qconfig = { float: { epochs: 5, testSubset: 100 }, calibration: { calibrationBatches: 10 }, qat: { lr: 0.002, epochs: 7 } };
    expect(resolveTrainSettings('qat', overrides, qconfig)).toMatchObject({ lr: 0.002, epochs: 2, trainSubset: 512, testSubset: 0, momentum: 0.9 });
    expect(resolveTrainSettings('float', overrides, qconfig)).toMatchObject({ lr: 0.05, epochs: 5, trainSubset: 512, testSubset: 100 });
    // A page override wins over qconfig.ts even when it equals the default.
    const back = { ...overrides, qat: { lr: 0.001 } };
    expect(resolveTrainSettings('qat', back, qconfig).lr).toBe(0.001);
    expect(resolveCalibrationSettings(overrides, qconfig)).toEqual({ calibrationBatches: 10, batchSize: 64, trainSubset: 512, testSubset: 0, seed: 0 });
    expect(resolveGroup('convert', { ...emptyOverrides(), convert: { requantMode: 'float' } })).toEqual({ requantMode: 'float', from: 'qat' });
  });
});
