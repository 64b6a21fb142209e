/**
 * Device layout of the integer executor.
 *
 * Activations: NHWC with the channel count padded to a multiple of 4 (`CP`), stored as an engine Tensor
 * of shape [N, H, W, CP] and dtype int8/int16/int32 (int8 packed four to a u32 word, int16 two). Four
 * channels of one pixel then share one int8 word, which is what `dot4I8Packed` multiplies, and a kernel
 * invocation that computes four output channels owns whole output words. Padded channel lanes always
 * hold the tensor's zero point, so (x − z) is 0 there and they add nothing anywhere.
 * A [N, C] tensor (linear layers) is the same with H = W = 1.
 *
 * The CPU reference and the IntegerModel use logical NCHW (PyTorch's layout); these helpers convert.
 */
import type { IntDType } from './types';

export function paddedChannels(c: number): number {
  return Math.ceil(c / 4) * 4;
}

export type Shape4 = readonly [number, number, number, number];

/** NCHW values → NHWC with channels padded to CP, padding lanes set to `padValue`. */
export function nchwToDevice(values: ArrayLike<number>, shape: Shape4, padValue: number): Int32Array {
  const [n, c, h, w] = shape;
  if (values.length !== n * c * h * w) throw new Error(`layout: ${values.length} values for NCHW [${shape.join(', ')}]`);
  const cp = paddedChannels(c);
  const out = new Int32Array(n * h * w * cp).fill(padValue);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * cp + ch] = values[((b * c + ch) * h + y) * w + x];
      }
    }
  }
  return out;
}

/** NHWC padded → NCHW (padding dropped). */
export function deviceToNchw(values: ArrayLike<number>, shape: Shape4): Int32Array {
  const [n, c, h, w] = shape;
  const cp = paddedChannels(c);
  if (values.length !== n * h * w * cp) throw new Error(`layout: ${values.length} device values for NCHW [${shape.join(', ')}] (CP ${cp})`);
  const out = new Int32Array(n * c * h * w);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) out[((b * c + ch) * h + y) * w + x] = values[((b * h + y) * w + x) * cp + ch];
      }
    }
  }
  return out;
}

/** The device tensor shape [N, H, W, CP] of a logical NCHW shape. */
export function deviceShape(shape: Shape4): [number, number, number, number] {
  return [shape[0], shape[2], shape[3], paddedChannels(shape[1])];
}

/** Packs integer values into u32 words (little-endian lanes), as the engine stores int8/int16. */
export function packWords(values: ArrayLike<number>, dtype: IntDType): Uint32Array {
  const bytes = Math.ceil((values.length * (dtype === 'int8' ? 1 : dtype === 'int16' ? 2 : 4)) / 4) * 4;
  const buffer = new ArrayBuffer(Math.max(bytes, 4));
  if (dtype === 'int8') new Int8Array(buffer).set(values);
  else if (dtype === 'int16') new Int16Array(buffer).set(values);
  else new Int32Array(buffer).set(values);
  return new Uint32Array(buffer);
}
