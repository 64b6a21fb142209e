/**
 * Uniform buffers built from the WGSL struct they feed: the field names and types are read from the
 * shader source, so the TypeScript side cannot drift from the struct's order. Only 4-byte scalar fields
 * (u32, i32, f32) are supported, which keeps the layout sequential.
 */

export type UniformValues = Record<string, number>;

interface Field {
  name: string;
  type: 'u32' | 'i32' | 'f32';
}

const cache = new Map<string, Field[]>();

export function structFields(wgsl: string, structName: string): Field[] {
  const key = `${structName}\n${wgsl}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const match = new RegExp(`struct\\s+${structName}\\s*\\{([^}]*)\\}`).exec(wgsl);
  if (!match) throw new Error(`uniforms: struct ${structName} not found in the WGSL`);
  const fields: Field[] = [];
  for (const part of match[1].split(',')) {
    const text = part.replace(/\/\/[^\n]*/g, '').trim();
    if (!text) continue;
    const m = /^(\w+)\s*:\s*(\w+)$/.exec(text);
    if (!m || (m[2] !== 'u32' && m[2] !== 'i32' && m[2] !== 'f32')) {
      throw new Error(`uniforms: field "${text}" of struct ${structName} is not a u32/i32/f32 scalar`);
    }
    fields.push({ name: m[1], type: m[2] });
  }
  cache.set(key, fields);
  return fields;
}

export function packUniforms(wgsl: string, structName: string, values: UniformValues): Uint8Array {
  const fields = structFields(wgsl, structName);
  const bytes = new Uint8Array(Math.ceil((fields.length * 4) / 16) * 16);
  const view = new DataView(bytes.buffer);
  const known = new Set(fields.map((f) => f.name));
  for (const name of Object.keys(values)) {
    if (!known.has(name)) throw new Error(`uniforms: ${structName} has no field ${name}`);
  }
  fields.forEach((f, i) => {
    const v = values[f.name];
    if (v === undefined) throw new Error(`uniforms: no value for ${structName}.${f.name}`);
    if (f.type === 'f32') view.setFloat32(i * 4, v, true);
    else if (f.type === 'i32') {
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new Error(`uniforms: ${structName}.${f.name} = ${v} is not an i32`);
      view.setInt32(i * 4, v, true);
    } else {
      if (!Number.isInteger(v) || v < 0 || v > 4294967295) throw new Error(`uniforms: ${structName}.${f.name} = ${v} is not a u32`);
      view.setUint32(i * 4, v, true);
    }
  });
  return bytes;
}
