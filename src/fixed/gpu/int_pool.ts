/** Max and average pooling on device activations (WGSL twins of cpu/int_pool.ts). */
import maxPool8Wgsl from '../../../shaders/int_max_pool8.wgsl?raw';
import poolWgsl from '../../../shaders/int_pool.wgsl?raw';
import { Tensor } from '../../engine/tensor';
import { avgPool2dOutputShape, maxAvgPoolDivisor, maxPool2dOutputShape } from '../cpu/int_pool';
import type { AvgPool2dOpSpec, MaxPool2dOpSpec } from '../ops';
import { INT_BITS } from '../types';
import { requantWords } from './conv2d_int';
import { launch } from './launch';
import type { UniformValues } from './uniforms';

function checkInput(op: string, x: Tensor, shape: readonly number[], dtype: string): void {
  const [, c, h, w] = shape;
  const cp = Math.ceil(c / 4) * 4;
  if (x.rank !== 4 || x.shape[1] !== h || x.shape[2] !== w || x.shape[3] !== cp || x.dtype !== dtype) {
    throw new Error(`${op}: input is [${x.shape.join(', ')}] ${x.dtype}, expected [N, ${h}, ${w}, ${cp}] ${dtype}`);
  }
}

/** The window geometry every pooling kernel's Params starts with (input and output sizes, stride, padding, dilation). */
function windowUniforms(
  spec: { xShape: readonly number[]; stride: readonly number[]; padding: readonly number[] },
  ho: number,
  wo: number,
  dilation: readonly number[],
): UniformValues {
  return {
    H: spec.xShape[2],
    W: spec.xShape[3],
    HO: ho,
    WO: wo,
    SH: spec.stride[0],
    SW: spec.stride[1],
    PH: spec.padding[0],
    PW: spec.padding[1],
    DH: dilation[0],
    DW: dilation[1],
  };
}

export function maxPool2dIntGpu(spec: MaxPool2dOpSpec, x: Tensor): Tensor {
  checkInput('max_pool2d', x, spec.xShape, spec.dtype);
  const n = x.shape[0];
  const [, , ho, wo] = maxPool2dOutputShape({ ...spec, xShape: [n, spec.xShape[1], spec.xShape[2], spec.xShape[3]] });
  const out = new Tensor([n, ho, wo, x.shape[3]], spec.dtype);
  if (spec.dtype === 'int8') {
    // A word (four channels) per invocation, each window word loaded once.
    launch('int_max_pool8', maxPool8Wgsl, { KH_C: spec.kernel[0], KW_C: spec.kernel[1] }, [x.buffer, out.buffer], out.numel / 4, {
      ...windowUniforms(spec, ho, wo, spec.dilation),
      CW: x.shape[3] / 4,
    });
    return out;
  }
  const bits = INT_BITS[spec.dtype];
  launch('int_max_pool', poolWgsl, { IS_MAX: 1, X_BITS: bits, OUT_BITS: bits, REQUANT_FLOAT: 0 }, [x.buffer, x.buffer, out.buffer], Math.ceil(out.numel / (32 / bits)), {
    ...windowUniforms(spec, ho, wo, spec.dilation),
    CP: x.shape[3],
    KH: spec.kernel[0],
    KW: spec.kernel[1],
    X_ZP: 0,
    Y_ZP: 0,
    LO: 0,
    HI: 0,
    COUNT_INCLUDE_PAD: 0,
    DIVISOR_OVERRIDE: 0,
  });
  return out;
}

/** The divisor-indexed requantization table of an average pool; keep it with the op. */
export function avgPoolTable(spec: AvgPool2dOpSpec): Tensor {
  const entries = maxAvgPoolDivisor(spec) + 1;
  if (spec.requant.scale.length < entries) {
    throw new Error(`avg_pool2d: requant table has ${spec.requant.scale.length} entries, needs ${entries}`);
  }
  const words = requantWords(spec.requant, spec.mode, entries);
  return Tensor.fromArray(words, [words.length], 'int32');
}

export function avgPool2dIntGpu(spec: AvgPool2dOpSpec, x: Tensor, table: Tensor): Tensor {
  checkInput('avg_pool2d', x, spec.xShape, spec.xDtype);
  const n = x.shape[0];
  const [, , ho, wo] = avgPool2dOutputShape({ ...spec, xShape: [n, spec.xShape[1], spec.xShape[2], spec.xShape[3]] });
  const out = new Tensor([n, ho, wo, x.shape[3]], spec.outDtype);
  launch(
    'int_avg_pool',
    poolWgsl,
    { IS_MAX: 0, X_BITS: INT_BITS[spec.xDtype], OUT_BITS: INT_BITS[spec.outDtype], REQUANT_FLOAT: spec.mode === 'float' ? 1 : 0 },
    [x.buffer, table.buffer, out.buffer],
    Math.ceil(out.numel / (32 / INT_BITS[spec.outDtype])),
    {
      ...windowUniforms(spec, ho, wo, [1, 1]),
      CP: x.shape[3],
      KH: spec.kernel[0],
      KW: spec.kernel[1],
      X_ZP: spec.xZeroPoint,
      Y_ZP: spec.yZeroPoint,
      LO: spec.clamp[0],
      HI: spec.clamp[1],
      COUNT_INCLUDE_PAD: spec.countIncludePad ? 1 : 0,
      DIVISOR_OVERRIDE: spec.divisorOverride ?? 0,
    },
  );
  return out;
}
