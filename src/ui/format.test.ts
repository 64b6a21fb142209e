import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatPercent } from './format';

describe('formatting', () => {
  it('formats sizes, fractions and durations', () => {
    expect(formatBytes(82_344)).toBe('80 KiB');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatPercent(0.8812)).toBe('88.12 %');
    expect(formatDuration(0.42)).toBe('0.4 s');
    expect(formatDuration(42.4)).toBe('42 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(3720)).toBe('1 h 02 min');
    expect(formatDuration(NaN)).toBe('–');
  });
});
