/** The `quantized_conv2d` golden cases on the WGSL kernel (see golden.ts). */
import { conv2dIntOutputShape } from './cpu/conv2d_int';
import { caseInput, caseOutputToQuint8, caseToConvSpec, type QuantizedConv2dCase } from './golden';
import { conv2dIntGpu, prepareConv2d } from './gpu/conv2d_int';
import { detectIntegerDot } from './gpu/shaders';
import { fromDevice, toDevice } from './gpu/transfer';
import type { RequantMode } from './requant';

/** Runs the case with the WGSL kernel on the engine's device; returns the quint8 outputs. */
export async function runQuantizedConv2dCaseGpu(c: QuantizedConv2dCase, mode: RequantMode): Promise<Int32Array> {
  await detectIntegerDot();
  const spec = caseToConvSpec(c, mode);
  const prepared = prepareConv2d(spec);
  const x = toDevice(caseInput(c), spec.xShape, 'int8', spec.xZeroPoint);
  try {
    const y = conv2dIntGpu(prepared, x);
    const out = await fromDevice(y, conv2dIntOutputShape({ ...spec, x: [] }));
    y.dispose();
    return caseOutputToQuint8(c, out);
  } finally {
    x.dispose();
    prepared.dispose();
  }
}
