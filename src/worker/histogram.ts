/**
 * Histograms of a layer's weights from a stage checkpoint, with the quantization grid and clip range
 * of its weight fake quantizer. A fused conv-bn's weight is shown folded with the BN's running
 * statistics (w·γ/√(var+ε)), since that is the tensor its fake quantizer sees.
 */
import type { HostArray } from '../engine/tensor';
import type { HistogramParams, HistogramResult } from './results';

type Tensors = Record<string, { shape: number[]; data: HostArray | Float32Array }>;

/** What float, calibration and QAT checkpoints hold (src/pipeline/checkpoints.ts): the state_dict as plain data. */
export interface WeightsCheckpoint {
  tensors: Tensors;
  /** Weight dtype per layer, when the stage recorded it (default qint8). */
  meta?: { weightDtypes?: Record<string, string> };
}

const BN_EPS = 1e-5;

export const DTYPE_RANGES: Record<string, [number, number]> = {
  qint8: [-128, 127],
  quint8: [0, 255],
  qint16: [-32768, 32767],
};

function findWeight(sd: Tensors, layer: string): { key: string; prefix: string } | null {
  for (const inner of ['', '.conv', '.linear']) {
    const key = `${layer}${inner}.weight`;
    if (sd[key]) return { key, prefix: `${layer}${inner}` };
  }
  return null;
}

/** The weight, folded with a sibling BatchNorm's running statistics when the layer has one. */
function layerWeight(sd: Tensors, layer: string): { data: Float32Array; shape: number[]; folded: boolean } {
  const found = findWeight(sd, layer);
  if (!found) {
    const weighted = [...new Set(Object.keys(sd).filter((k) => k.endsWith('.weight')).map((k) => k.replace(/(\.conv|\.linear|\.bn)?\.weight$/, '')))];
    throw new Error(`Layer '${layer}' has no weight in this checkpoint (layers with weights: ${weighted.join(', ') || 'none'})`);
  }
  const weight = sd[found.key]!;
  const gamma = sd[`${layer}.bn.weight`];
  const variance = sd[`${layer}.bn.running_var`];
  if (!gamma || !variance) return { data: Float32Array.from(weight.data), shape: weight.shape, folded: false };
  const channels = weight.shape[0]!;
  const perChannel = weight.data.length / channels;
  const out = new Float32Array(weight.data.length);
  for (let c = 0; c < channels; c++) {
    const factor = gamma.data[c]! / Math.sqrt(variance.data[c]! + BN_EPS);
    for (let i = 0; i < perChannel; i++) out[c * perChannel + i] = weight.data[c * perChannel + i]! * factor;
  }
  return { data: out, shape: weight.shape, folded: true };
}

export function histogramOf(checkpoint: unknown, params: HistogramParams): HistogramResult {
  if (params.kind !== 'weight') throw new Error('histogramOf reads weights; activations come from activationHistogram (activations.ts)');
  const sd = (checkpoint as WeightsCheckpoint | null)?.tensors;
  if (!sd) throw new Error(`The ${params.stage} checkpoint holds no weights`);
  const { data, shape } = layerWeight(sd, params.layer);

  let grid: HistogramResult['grid'] = null;
  const scale = sd[`${params.layer}.weight_fake_quant.scale`];
  const zeroPoint = sd[`${params.layer}.weight_fake_quant.zero_point`];
  const dtype = (checkpoint as WeightsCheckpoint).meta?.weightDtypes?.[params.layer] ?? 'qint8';
  if (scale && zeroPoint && scale.data.length > 0) {
    // Per channel: draw the grid of the channel with the widest range (the coarsest one).
    let widest = 0;
    for (let c = 1; c < scale.data.length; c++) if (scale.data[c]! > scale.data[widest]!) widest = c;
    const [quantMin, quantMax] = DTYPE_RANGES[dtype] ?? DTYPE_RANGES.qint8!;
    grid = { scale: scale.data[widest]!, zeroPoint: zeroPoint.data[widest]!, quantMin, quantMax, dtype };
    if (scale.data.length > 1 && shape[0] === scale.data.length) {
      grid = { ...grid, dtype: `${dtype}, channel ${widest} of ${scale.data.length}` };
    }
  }
  return { ...binValues(data, grid, params.bins), layer: params.layer, kind: 'weight' };
}

/** Bins over the values' range widened to the grid's clip range, so both show. */
export function binValues(data: Float32Array, grid: HistogramResult['grid'], requestedBins: number): Omit<HistogramResult, 'layer' | 'kind'> {
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const low = grid ? Math.min(min, (grid.quantMin - grid.zeroPoint) * grid.scale) : min;
  const high = grid ? Math.max(max, (grid.quantMax - grid.zeroPoint) * grid.scale) : max;
  const bins = Math.max(1, Math.min(512, Math.floor(requestedBins)));
  const width = high > low ? (high - low) / bins : 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of data) counts[Math.min(bins - 1, Math.max(0, Math.floor((v - low) / width)))]!++;
  const edges = Array.from({ length: bins + 1 }, (_, i) => low + i * width);
  return { edges, counts, min, max, grid };
}
