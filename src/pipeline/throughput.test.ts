import { describe, expect, it } from 'vitest';
import { Throughput } from './metrics';

describe('Throughput', () => {
  it('counts images/s from the first completion on (which waited for compilation), 0 until a second one', () => {
    const t = new Throughput();
    expect(t.imagesPerSecond).toBe(0);
    t.completed(64, 5000); // the first step: 5 s, mostly compiling
    expect(t.imagesPerSecond).toBe(0);
    t.completed(128, 5250);
    t.completed(192, 5500);
    expect(t.imagesPerSecond).toBe(256);
  });
});
