/** The CPU reference's building blocks (the golden cases are checked in scripts/golden.test.ts). */
import { describe, expect, it } from 'vitest';
import { f32, f32Bits, fmaF32, nearbyint, nextF32 } from './float32';
import { calculateQminQmax, calculateQParams } from './qparams';
import { divFloorF32, histc, histcBin } from './histogram';
import { fakeQuantizePerTensor } from './fake_quantize';
import { lsqBackwardZeroPointPerTensor, lsqForwardZeroPoint } from './lsq';

describe('float32 helpers', () => {
  it('nearbyint rounds half to even, both signs', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, -3.5001].map(nearbyint)).toEqual([0, 2, 2, -0, -2, -2, 2, -4]);
  });

  it('fmaF32 rounds once where two roundings differ', () => {
    const a = f32(1 + 2 ** -12);
    const b = f32(1 + 2 ** -12);
    const p = f32(a * b);
    // The product's low bits are lost by a separate rounding; the fused result keeps them.
    expect(f32(f32(a * b) - p)).toBe(0);
    expect(fmaF32(a, b, -p)).toBe(2 ** -24);
    // a * b + c = 1 + 2^-24 + 2^-70: float64 rounds it onto the float32 tie 1 + 2^-24 (which would go to
    // even, 1); the exact value is above the tie.
    const w = fmaF32(f32(-(2 ** -12) * (1 + 2 ** -23)), f32(2 ** -12 * (1 - 2 ** -23)), f32(1 + 2 ** -23));
    expect(w).toBe(1 + 2 ** -23);
    expect(nextF32(1, true)).toBe(1 + 2 ** -23);
    expect(nextF32(-1, true)).toBe(-1 + 2 ** -24);
  });

  it('divFloorF32 is floor division with the sign of zero PyTorch gives', () => {
    expect(divFloorF32(7, 2)).toBe(3);
    expect(divFloorF32(-7, 2)).toBe(-4);
    expect(divFloorF32(6, 2)).toBe(3);
    expect(Object.is(divFloorF32(-0.5, 2), -1)).toBe(true);
    expect(Object.is(divFloorF32(0, 2), 0)).toBe(true);
  });
});

describe('qparams', () => {
  it('qmin/qmax follow dtype, custom range and reduce_range', () => {
    expect(calculateQminQmax({ dtype: 'quint8' })).toEqual({ quant_min: 0, quant_max: 255, has_customized_qrange: false });
    expect(calculateQminQmax({ dtype: 'qint8', reduce_range: true })).toMatchObject({ quant_min: -64, quant_max: 63 });
    expect(calculateQminQmax({ dtype: 'qint16', quant_min: -512, quant_max: 511 })).toEqual({ quant_min: -512, quant_max: 511, has_customized_qrange: true });
  });

  it('symmetric, affine, eps and the unobserved state', () => {
    const cfg = { dtype: 'qint8' as const, qscheme: 'per_tensor_symmetric' as const, quant_min: -128, quant_max: 127 };
    expect(calculateQParams([-2], [1], cfg).scale[0]).toBe(f32(2 / 127.5));
    expect(calculateQParams([0], [0], cfg).scale[0]).toBe(f32(1.1920928955078125e-7));
    expect(calculateQParams([Infinity], [-Infinity], cfg)).toEqual({ scale: new Float32Array([1]), zero_point: new Int32Array([0]) });
    const affine = { dtype: 'quint8' as const, qscheme: 'per_tensor_affine' as const, quant_min: 0, quant_max: 255 };
    const q = calculateQParams([-1], [3], affine);
    expect(q.scale[0]).toBe(f32(4 / 255));
    expect(q.zero_point[0]).toBe(64);
    // The range always includes 0: a positive-only range keeps zero point 0.
    expect(calculateQParams([1], [3], affine).zero_point[0]).toBe(0);
    // quint8 symmetric: zero point 128, or the middle of a custom range.
    expect(calculateQParams([-1], [1], { ...affine, qscheme: 'per_tensor_symmetric' }).zero_point[0]).toBe(128);
    expect(calculateQParams([-1], [1], { ...affine, qscheme: 'per_tensor_symmetric', quant_max: 100, has_customized_qrange: true }).zero_point[0]).toBe(50);
    expect(() => calculateQParams([2], [1], cfg)).toThrow(/min_val 2 > max_val 1/);
  });
});

describe('fake quantize and LSQ details', () => {
  it('uses x * (1/scale), not x / scale (they differ, and PyTorch multiplies)', () => {
    // A value where the two disagree after rounding: x / s is a hair below a tie, x * (1/s) lands on it.
    const s = f32(0.001);
    const inv = f32(1 / s);
    let found = -1;
    for (let k = 0; k < 100000 && found < 0; k++) {
      const x = f32((k + 0.5) * s);
      if (nearbyint(f32(x * inv)) !== nearbyint(f32(x / s))) found = x;
    }
    expect(found).toBeGreaterThan(0);
    expect(fakeQuantizePerTensor([found], 0.001, 0, -32768, 32767).y[0]).toBe(f32(nearbyint(f32(found * inv)) * s));
  });

  it('LSQ rounds the zero point half to even forward, (zp + 0.5) truncated backward', () => {
    expect(lsqForwardZeroPoint(2.5, 0, 255)).toBe(2);
    expect(lsqBackwardZeroPointPerTensor(2.5, 0, 255)).toBe(3);
    expect(lsqForwardZeroPoint(300, 0, 255)).toBe(255);
  });

  it('histc: the right edge belongs to the last bin, outside values are dropped', () => {
    expect(histcBin(1, 0, 1, 4)).toBe(3);
    expect(histcBin(1.0001, 0, 1, 4)).toBe(-1);
    expect(Array.from(histc([0, 0.25, 0.5, 1, 2, -1], 4, 0, 1))).toEqual([1, 1, 1, 1]);
    expect(f32Bits(0)).toBe(0);
  });
});
