/** WGSL sources of the quantization kernels, with the shared float32 helpers prepended. */
import math from '../../../shaders/fake_quant_math.wgsl?raw';

export function withMath(code: string): string {
  return `${math}\n${code}`;
}

/** Uniform bytes from typed fields, in struct order (every field 4 bytes, as the WGSL structs here). */
export function uniformBytes(fields: readonly (readonly ['u32' | 'i32' | 'f32', number])[]): Uint8Array {
  const bytes = new Uint8Array(Math.max(16, Math.ceil((fields.length * 4) / 16) * 16));
  const view = new DataView(bytes.buffer);
  fields.forEach(([type, value], k) => {
    if (type === 'u32') view.setUint32(k * 4, value, true);
    else if (type === 'i32') view.setInt32(k * 4, value, true);
    else view.setFloat32(k * 4, value, true);
  });
  return bytes;
}

import { onDeviceChange } from '../../engine/device';
import { Tensor, keep } from '../../engine/tensor';

let dummy: Tensor | null = null;
onDeviceChange(() => {
  dummy = null;
});

/** A small scratch buffer to fill a binding a kernel variant does not use (never aliasing a real output). */
export function unusedBinding(): GPUBuffer {
  dummy ??= keep(Tensor.zeros([4]));
  return dummy.buffer;
}
