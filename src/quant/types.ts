/** Names shared by observers, fake quantizers, qconfigs and the converter (PyTorch's spelling). */
export type QDType = 'qint8' | 'quint8' | 'qint16' | 'qint32';

export type QScheme = 'per_tensor_affine' | 'per_tensor_symmetric' | 'per_channel_affine' | 'per_channel_symmetric';

export const QRANGE: Record<QDType, readonly [number, number]> = {
  qint8: [-128, 127],
  quint8: [0, 255],
  qint16: [-32768, 32767],
  qint32: [-2147483648, 2147483647],
};

/** The three fake-quant states of the Horizon toolchain (set_fake_quantize). */
export enum FakeQuantState {
  /** Observers record statistics; outputs are not quantized. */
  CALIBRATION = 'CALIBRATION',
  /** Observers update and outputs are fake-quantized (training). */
  QAT = 'QAT',
  /** Scales are frozen and outputs are fake-quantized (evaluation). */
  VALIDATION = 'VALIDATION',
}

export function isPerChannel(qscheme: QScheme): boolean {
  return qscheme.startsWith('per_channel');
}

export function isSymmetric(qscheme: QScheme): boolean {
  return qscheme.endsWith('symmetric');
}
