/** Moving logical NCHW integer values to and from device activations (layout.ts). */
import { Tensor } from '../../engine/tensor';
import { deviceShape, deviceToNchw, nchwToDevice, type Shape4 } from '../layout';
import type { IntDType } from '../types';

/** A device activation [N, H, W, CP] from NCHW values; padded lanes get the zero point. */
export function toDevice(values: ArrayLike<number>, shape: Shape4, dtype: IntDType, zeroPoint: number): Tensor {
  return Tensor.fromArray(nchwToDevice(values, shape, zeroPoint), deviceShape(shape), dtype);
}

/** A device activation read back as NCHW values. */
export async function fromDevice(t: Tensor, shape: Shape4): Promise<Int32Array> {
  return deviceToNchw(Int32Array.from(await t.read()), shape);
}
