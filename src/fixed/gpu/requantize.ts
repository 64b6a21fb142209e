/** Requantize a device activation to int8/int16 per channel (WGSL twin of cpu/requantize.ts). */
import requantWgsl from '../../../shaders/requant.wgsl?raw';
import { Tensor } from '../../engine/tensor';
import type { RequantizeOpSpec } from '../ops';
import { INT_BITS } from '../types';
import { requantWords } from './conv2d_int';
import { launch } from './launch';

/** Per-channel constants for a requantize op (padded to CP channels); keep it with the op. */
export function requantizeTable(spec: RequantizeOpSpec): Tensor {
  const cp = Math.ceil(spec.shape[1] / 4) * 4;
  const words = requantWords(spec.requant, spec.mode, cp);
  return Tensor.fromArray(words, [words.length], 'int32');
}

export function requantizeGpu(spec: RequantizeOpSpec, x: Tensor, table: Tensor): Tensor {
  if (x.dtype !== spec.xDtype || x.rank !== 4) {
    throw new Error(`requantize: input is [${x.shape.join(', ')}] ${x.dtype}, expected a device ${spec.xDtype} activation`);
  }
  const out = new Tensor(x.shape, spec.outDtype);
  const lanes = 32 / INT_BITS[spec.outDtype];
  launch(
    'requantize',
    requantWgsl,
    { X_BITS: INT_BITS[spec.xDtype], OUT_BITS: INT_BITS[spec.outDtype], REQUANT_FLOAT: spec.mode === 'float' ? 1 : 0 },
    [x.buffer, table.buffer, out.buffer],
    Math.ceil(x.numel / lanes),
    { CP: x.shape[3], X_ZP: spec.xZeroPoint, Y_ZP: spec.yZeroPoint, LO: spec.clamp[0], HI: spec.clamp[1] },
  );
  return out;
}
