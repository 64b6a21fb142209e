import { describe, expect, it } from 'vitest';
import { IntegerModelBuilder } from './builder';
import { addSpec, SpecContext } from './specs';
import { intAddCpu } from './cpu/int_add';
import type { AddOp } from './model';
import { REQUANT_MODES, roundHalfEven, type RequantMode } from './requant';
import { seeded } from './testing';

/** An add op as conversion builds it (the builder chooses the precision shift), and its spec. */
function addOf(mode: RequantMode, sa: number, sb: number, sy: number, dtype: 'qint8' | 'qint16' = 'qint8') {
  const b = new IntegerModelBuilder(mode);
  b.input('x', [1, 1, 1]);
  b.input('z', [1, 1, 1]);
  b.quantize('a', 'x', { scale: sa, zero_point: 0, dtype });
  b.quantize('b', 'z', { scale: sb, zero_point: 0, dtype });
  b.add('y', 'a', 'b', { scale: sy, zero_point: 0, dtype });
  b.output('y');
  const model = b.build();
  const op = model.ops.find((o) => o.kind === 'add') as AddOp;
  return { op, spec: (n: number) => addSpec(new SpecContext(model, n), op) };
}

function pairs(lo: number, hi: number): [Int32Array, Int32Array] {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = lo; i <= hi; i++) for (let j = lo; j <= hi; j++) {
    a.push(i);
    b.push(j);
  }
  return [Int32Array.from(a), Int32Array.from(b)];
}

describe('integer add rounds the sum once', () => {
  it('power-of-two scales (Horizon fixed scales, 1/32 + 1/32 → 1/16): exactly round((a + b)/2)', () => {
    const [a, b] = pairs(-300, 300);
    for (const mode of REQUANT_MODES) {
      const { op, spec } = addOf(mode, 1 / 32, 1 / 32, 1 / 16, 'qint16');
      expect(op.precisionShift).toBeGreaterThan(0);
      const y = intAddCpu(spec(a.length), a, b);
      // Float mode rounds half to even (as fake quantize); gemmlowp's multiplier mode half away from zero.
      const half = mode === 'float' ? roundHalfEven : (v: number) => (v < 0 ? -Math.round(-v) : Math.round(v));
      let wrong = 0;
      for (let i = 0; i < a.length; i++) if (y[i] !== half((a[i] + b[i]) / 2)) wrong++;
      expect(wrong, mode).toBe(0);
    }
  });

  it('any scales: agrees with round((a·s_a + b·s_b)/s_y) but at ties', () => {
    const rand = seeded(5);
    for (const mode of REQUANT_MODES) {
      for (let trial = 0; trial < 3; trial++) {
        const [sa, sb, sy] = [0.01 + rand() * 0.05, 0.01 + rand() * 0.05, 0.02 + rand() * 0.08];
        const { spec } = addOf(mode, sa, sb, sy);
        const [a, b] = pairs(-90, 90);
        const y = intAddCpu(spec(a.length), a, b);
        let off = 0;
        for (let i = 0; i < a.length; i++) {
          const exact = (a[i] * Math.fround(sa / sy) + b[i] * Math.fround(sb / sy));
          const d = Math.abs(y[i] - Math.max(-128, Math.min(127, roundHalfEven(exact))));
          expect(d).toBeLessThanOrEqual(1);
          if (d) off++;
        }
        // Separately rounded terms would be off on about a quarter of the pairs.
        expect(off / a.length, `${mode} trial ${trial}`).toBeLessThan(0.002);
      }
    }
  });
});
