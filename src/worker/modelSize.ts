/**
 * The size a fake-quant model would have deployed: each quantized layer's weight at its integer width
 * (qint8/quint8 1 byte, qint16 2), its bias as int32 (a conv folded with BN always has one), and
 * everything left float (layers without a weight quantizer) at 4 bytes. Observer state and BN
 * statistics folded into a conv count for nothing.
 */
const WEIGHT_BYTES: Record<string, number> = { qint8: 1, quint8: 1, qint16: 2, qint32: 4 };

interface Layer {
  name: string;
  weightDtype?: string;
}

type Tensors = Record<string, { shape: number[] }>;

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

const QUANT_STATE = /(^|\.)(activation_post_process|weight_fake_quant|input_fake_quant)(\.|$)/;

export function quantizedModelBytes(tensors: Tensors, layers: readonly Layer[]): number {
  const counted = new Set<string>();
  let bytes = 0;
  for (const layer of layers) {
    if (!layer.weightDtype) continue;
    const width = WEIGHT_BYTES[layer.weightDtype] ?? 4;
    const inner = ['', '.conv', '.linear'].find((p) => tensors[`${layer.name}${p}.weight`]);
    if (inner === undefined) continue;
    const weight = tensors[`${layer.name}${inner}.weight`]!;
    bytes += numel(weight.shape) * width;
    const outChannels = weight.shape[0] ?? 0;
    const hasBias = tensors[`${layer.name}${inner}.bias`] !== undefined || tensors[`${layer.name}.bn.weight`] !== undefined;
    if (hasBias) bytes += outChannels * 4;
    for (const key of Object.keys(tensors)) if (key.startsWith(`${layer.name}.`)) counted.add(key);
  }
  for (const [key, t] of Object.entries(tensors)) {
    if (counted.has(key) || QUANT_STATE.test(key) || /(^|\.)(running_mean|running_var|num_batches_tracked)$/.test(key)) continue;
    if (/(^|\.)(weight|bias)$/.test(key)) bytes += numel(t.shape) * 4;
  }
  return bytes;
}
