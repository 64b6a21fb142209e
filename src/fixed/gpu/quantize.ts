/** The model-boundary conversions on the GPU (WGSL twins of cpu/quantize.ts). */
import dequantizeWgsl from '../../../shaders/int_dequantize.wgsl?raw';
import quantizeWgsl from '../../../shaders/int_quantize.wgsl?raw';
import { Tensor } from '../../engine/tensor';
import { paddedChannels } from '../layout';
import type { DequantizeOpSpec, QuantizeOpSpec } from '../ops';
import { INT_BITS } from '../types';
import { launch } from './launch';

/** Float NCHW [N, C, H, W] (or [N, C]) → device activation [N, H, W, CP]. */
export function quantizeGpu(spec: QuantizeOpSpec, x: Tensor): Tensor {
  const [, c, h, w] = spec.shape;
  if (x.dtype !== 'float32' || x.numel % (c * h * w) !== 0) {
    throw new Error(`quantize: input [${x.shape.join(', ')}] ${x.dtype} is not float32 of [N, ${c}, ${h}, ${w}]`);
  }
  const n = x.numel / (c * h * w);
  const cp = paddedChannels(c);
  const out = new Tensor([n, h, w, cp], spec.outDtype);
  launch('int_quantize', quantizeWgsl, { OUT_BITS: INT_BITS[spec.outDtype] }, [x.buffer, out.buffer], Math.ceil(out.numel / (32 / INT_BITS[spec.outDtype])), {
    C: c,
    H: h,
    W: w,
    CP: cp,
    INV_SCALE: Math.fround(1 / Math.fround(spec.scale)),
    ZP: spec.zeroPoint,
    LO: spec.clamp[0],
    HI: spec.clamp[1],
  });
  return out;
}

/** Per-channel float32 scales padded to C; keep it with the op. */
export function dequantizeTable(spec: DequantizeOpSpec): Tensor {
  const c = spec.shape[1];
  const scales = Float32Array.from({ length: c }, (_, i) => (spec.scale.length === 1 ? spec.scale[0] : spec.scale[i]));
  return Tensor.fromArray(scales, [c], 'float32');
}

/** Device activation [N, H, W, CP] → float NCHW [N, C, H, W]. */
export function dequantizeGpu(spec: DequantizeOpSpec, x: Tensor, table: Tensor): Tensor {
  const [, c, h, w] = spec.shape;
  if (x.rank !== 4 || x.dtype !== spec.xDtype || x.shape[3] !== paddedChannels(c) || x.shape[1] !== h || x.shape[2] !== w) {
    throw new Error(`dequantize: input is [${x.shape.join(', ')}] ${x.dtype}, expected [N, ${h}, ${w}, ${paddedChannels(c)}] ${spec.xDtype}`);
  }
  const n = x.shape[0];
  const out = new Tensor([n, c, h, w], 'float32');
  launch('int_dequantize', dequantizeWgsl, { X_BITS: INT_BITS[spec.xDtype] }, [x.buffer, table.buffer, out.buffer], out.numel, {
    C: c,
    H: h,
    W: w,
    CP: x.shape[3],
    ZP: spec.zeroPoint,
  });
  return out;
}
