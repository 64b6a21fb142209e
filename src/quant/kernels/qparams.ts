/**
 * qparams on the GPU (shaders/observer_qparams.wgsl): scale / zero point per channel from min/max
 * buffers, exactly as PyTorch's float32 _calculate_qparams (CPU reference numerics/qparams.ts).
 */
import qparamsWgsl from '../../../shaders/observer_qparams.wgsl?raw';
import { copyBuffer, dispatch } from '../../engine/commands';
import { getPipeline } from '../../engine/pipelines';
import type { Tensor } from '../../engine/tensor';
import { FLOAT32_EPS } from '../numerics/float32';
import type { QParamsConfig } from '../numerics/qparams';
import { isSymmetric } from '../types';
import { packQParamsInto } from './fake_quantize';
import { unusedBinding, uniformBytes, withMath } from './wgsl';

export function writeQParams(
  minVal: Tensor,
  maxVal: Tensor,
  cfg: QParamsConfig,
  scale: Tensor,
  zeroPoint: Tensor,
  packed: Tensor | null,
): void {
  const channels = minVal.numel;
  if (channels === 0) {
    // Nothing observed yet (per channel): PyTorch returns scale [1], zero point [0].
    scale.assign([1]);
    zeroPoint.assign([0]);
    if (packed) packQParamsInto(scale, zeroPoint, packed);
    return;
  }
  if (maxVal.numel !== channels || scale.numel !== channels || zeroPoint.numel !== channels) {
    throw new Error(
      `calculate_qparams: min_val ${minVal.numel}, max_val ${maxVal.numel}, scale ${scale.numel}, zero_point ${zeroPoint.numel} channels differ`,
    );
  }
  if (packed && packed.numel !== channels * 4) throw new Error(`calculate_qparams: packed holds ${packed.numel / 4} channels, not ${channels}`);
  const symmetric = isSymmetric(cfg.qscheme);
  const { quant_min: qmin, quant_max: qmax } = cfg;
  const symZp = cfg.dtype === 'quint8' ? (cfg.has_customized_qrange ? Math.floor((qmin + qmax) / 2) : 128) : 0;
  const divisor = symmetric ? Math.fround((qmax - qmin) / 2) : Math.fround(qmax - qmin);
  const pipeline = getPipeline(`observer_qparams:${symmetric ? 's' : 'a'}:${packed ? 'p' : ''}`, () => withMath(qparamsWgsl), {
    SYMMETRIC: symmetric ? 1 : 0,
    WRITE_PACKED: packed ? 1 : 0,
  });
  dispatch(
    pipeline,
    [minVal.buffer, maxVal.buffer, scale.buffer, zeroPoint.buffer, packed?.buffer ?? unusedBinding()],
    [Math.ceil(channels / 64)],
    uniformBytes([
      ['u32', channels],
      ['i32', symZp],
      ['f32', qmin],
      ['f32', qmax],
      ['f32', divisor],
      ['f32', cfg.eps ?? FLOAT32_EPS],
    ]),
  );
}

/** The packed fake-quant parameters of an observer-style scale / zero point (1/scale exact). */
export function packQParams(scale: Tensor, zeroPoint: Tensor, into: Tensor | null): Tensor {
  return packQParamsInto(scale, zeroPoint, into);
}

/** Copies a fixed scale / zero point into the outputs (FixedScaleObserver). */
export function copyQParams(srcScale: Tensor, srcZp: Tensor, scale: Tensor, zeroPoint: Tensor, packed: Tensor | null): void {
  if (srcScale.numel !== scale.numel || srcZp.numel !== zeroPoint.numel) {
    throw new Error(`copyQParams: ${srcScale.numel} scales into ${scale.numel}`);
  }
  copyBuffer(srcScale.buffer, 0, scale.buffer, 0, scale.byteSize);
  copyBuffer(srcZp.buffer, 0, zeroPoint.buffer, 0, zeroPoint.byteSize);
  if (packed) packQParamsInto(scale, zeroPoint, packed);
}
