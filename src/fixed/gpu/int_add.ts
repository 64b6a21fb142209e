/** Integer add on device activations (WGSL twin of cpu/int_add.ts). */
import addWgsl from '../../../shaders/int_add.wgsl?raw';
import { Tensor } from '../../engine/tensor';
import type { AddOpSpec } from '../ops';
import { INT_BITS } from '../types';
import { requantWords } from './conv2d_int';
import { launch } from './launch';

export function intAddGpu(spec: AddOpSpec, a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== spec.a.dtype || b.dtype !== spec.b.dtype || a.numel !== b.numel || a.rank !== 4) {
    throw new Error(
      `int add: inputs [${a.shape.join(', ')}] ${a.dtype} and [${b.shape.join(', ')}] ${b.dtype} do not match ${spec.a.dtype}/${spec.b.dtype} of one shape`,
    );
  }
  const out = new Tensor(a.shape, spec.outDtype);
  const ra = requantWords(spec.a.requant, spec.mode, 1);
  const rb = requantWords(spec.b.requant, spec.mode, 1);
  launch(
    'int_add',
    addWgsl,
    {
      A_BITS: INT_BITS[spec.a.dtype],
      B_BITS: INT_BITS[spec.b.dtype],
      OUT_BITS: INT_BITS[spec.outDtype],
      REQUANT_FLOAT: spec.mode === 'float' ? 1 : 0,
    },
    [a.buffer, b.buffer, out.buffer],
    Math.ceil(out.numel / (32 / INT_BITS[spec.outDtype])),
    {
      A_ZP: spec.a.zeroPoint,
      B_ZP: spec.b.zeroPoint,
      Y_ZP: spec.yZeroPoint,
      LO: spec.clamp[0],
      HI: spec.clamp[1],
      A_RQ0: ra[0] >>> 0,
      A_RQ1: ra[1] >>> 0,
      B_RQ0: rb[0] >>> 0,
      B_RQ1: rb[1] >>> 0,
      K: spec.precisionShift ?? 0,
      ZERO: 0,
    },
  );
  return out;
}
