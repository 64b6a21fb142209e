import { describe, expect, it } from 'vitest';
import { packUniforms, structFields } from './uniforms';

const wgsl = `
struct Params {
  total: u32,
  ZP: i32, // the zero point
  S: f32,
}
@group(0) @binding(0) var<uniform> p: Params;`;

describe('uniforms from the WGSL struct', () => {
  it('reads the fields in order and packs them little-endian, padded to 16 bytes', () => {
    expect(structFields(wgsl, 'Params').map((f) => `${f.name}:${f.type}`)).toEqual(['total:u32', 'ZP:i32', 'S:f32']);
    const bytes = packUniforms(wgsl, 'Params', { total: 7, ZP: -3, S: 0.5 });
    expect(bytes.byteLength).toBe(16);
    const view = new DataView(bytes.buffer);
    expect([view.getUint32(0, true), view.getInt32(4, true), view.getFloat32(8, true)]).toEqual([7, -3, 0.5]);
  });

  it('rejects missing, unknown and out-of-range fields by name', () => {
    expect(() => packUniforms(wgsl, 'Params', { total: 1, ZP: 0 })).toThrow(/no value for Params.S/);
    expect(() => packUniforms(wgsl, 'Params', { total: 1, ZP: 0, S: 1, extra: 2 })).toThrow(/Params has no field extra/);
    expect(() => packUniforms(wgsl, 'Params', { total: -1, ZP: 0, S: 1 })).toThrow(/Params.total = -1 is not a u32/);
    expect(() => packUniforms(wgsl, 'Other', {})).toThrow(/struct Other not found/);
  });
});
