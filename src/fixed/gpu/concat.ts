/** Channel concatenation on device activations (WGSL twin of cpu/concat.ts); more than two inputs chain. */
import concatWgsl from '../../../shaders/int_concat.wgsl?raw';
import { Tensor } from '../../engine/tensor';
import { paddedChannels } from '../layout';
import type { ConcatOpSpec } from '../ops';
import { INT_BITS } from '../types';
import { launch } from './launch';

function concatTwo(a: Tensor, b: Tensor, ca: number, cb: number, spec: ConcatOpSpec): Tensor {
  const [n, h, w] = a.shape;
  const cpy = paddedChannels(ca + cb);
  const out = new Tensor([n, h, w, cpy], spec.dtype);
  launch(
    'int_concat',
    concatWgsl,
    { BITS: INT_BITS[spec.dtype] },
    [a.buffer, b.buffer, out.buffer],
    Math.ceil(out.numel / (32 / INT_BITS[spec.dtype])),
    { CA: ca, CPA: paddedChannels(ca), CB: cb, CPB: paddedChannels(cb), CPY: cpy, ZP: spec.zeroPoint },
  );
  return out;
}

export function concatGpu(spec: ConcatOpSpec, inputs: readonly Tensor[]): Tensor {
  inputs.forEach((t, k) => {
    const [n, c, h, w] = spec.shapes[k];
    if (t.rank !== 4 || t.shape[0] !== n || t.shape[1] !== h || t.shape[2] !== w || t.shape[3] !== paddedChannels(c) || t.dtype !== spec.dtype) {
      throw new Error(`concat: input ${k} is [${t.shape.join(', ')}] ${t.dtype}, expected [${n}, ${h}, ${w}, ${paddedChannels(c)}] ${spec.dtype}`);
    }
  });
  let acc = inputs[0];
  let channels = spec.shapes[0][1];
  for (let k = 1; k < inputs.length; k++) {
    const next = concatTwo(acc, inputs[k], channels, spec.shapes[k][1], spec);
    if (acc !== inputs[0]) acc.dispose();
    acc = next;
    channels += spec.shapes[k][1];
  }
  return acc;
}
