/**
 * The per-layer quantization table of a prepared model (what calibration and QAT found): for each QAT
 * module, its output dtype, scale(s), zero point(s), the observer and the range it saw, and its weight
 * quantization. Read back from the GPU once, after a stage.
 */
import type { Module } from '../nn/module';
import type { Tensor } from '../engine/tensor';
import { FakeQuantizeBase } from '../quant/fake_quantize';
import { isQatModule } from '../quant/qat_modules';
import { readFakeQuantParams } from '../fixed/convert';

/** One row; field names match the worker's LayerQuantization so the page can take it as is. */
export interface LayerQParams {
  /** Module path (the check table's node name). */
  name: string;
  /** QAT module type (ConvBnReLU2d, Linear, QuantStub...). */
  type: string;
  /** Output dtype: the output fake quantizer's, 'qint32' for a high-precision output, else 'float32'. */
  dtype: string;
  scale: number[];
  zeroPoint: number[];
  /** `FakeQuantize(MSEObserver, qint8)`, '' without an output fake quantizer. */
  observer: string;
  weightDtype?: string;
  weightScale?: number[];
  weightZeroPoint?: number[];
  /** Input fake quantizer, when the qconfig has one. */
  inputDtype?: string;
  inputScale?: number[];
  /** The float range the output observer recorded (min over channels, max over channels). */
  min?: number;
  max?: number;
}

function describe(fq: FakeQuantizeBase): string {
  return `${fq._typeName}(${fq.activation_post_process._typeName}, ${fq.dtype})`;
}

async function observedRange(fq: FakeQuantizeBase): Promise<{ min?: number; max?: number }> {
  const obs = fq.activation_post_process as unknown as { _buffers: Map<string, Tensor> };
  const lo = obs._buffers.get('min_val');
  const hi = obs._buffers.get('max_val');
  if (!lo || !hi || lo.numel === 0) return {};
  const [mins, maxs] = await Promise.all([lo.read(), hi.read()]);
  const min = Math.min(...mins);
  const max = Math.max(...maxs);
  return Number.isFinite(min) && Number.isFinite(max) ? { min, max } : {};
}

export async function qparamsTable(model: Module): Promise<LayerQParams[]> {
  const rows: LayerQParams[] = [];
  for (const [name, m] of model.named_modules()) {
    if (!isQatModule(m)) continue;
    const out = m.activation_post_process instanceof FakeQuantizeBase ? m.activation_post_process : null;
    const weight = m.weight_fake_quant instanceof FakeQuantizeBase ? m.weight_fake_quant : null;
    const input = m.input_fake_quant instanceof FakeQuantizeBase ? m.input_fake_quant : null;
    const row: LayerQParams = {
      name,
      type: m._float_type,
      dtype: out ? out.dtype : weight ? 'qint32' : 'float32',
      scale: [],
      zeroPoint: [],
      observer: out ? describe(out) : '',
    };
    if (out) {
      const p = await readFakeQuantParams(out);
      row.scale = p.scale;
      row.zeroPoint = p.zeroPoint;
      Object.assign(row, await observedRange(out));
    }
    if (weight) {
      const p = await readFakeQuantParams(weight);
      row.weightDtype = weight.dtype;
      row.weightScale = p.scale;
      row.weightZeroPoint = p.zeroPoint;
    }
    if (input) {
      const p = await readFakeQuantParams(input);
      row.inputDtype = input.dtype;
      row.inputScale = p.scale;
    }
    rows.push(row);
  }
  return rows;
}

/** The rows whose output scale is still the initial 1 with nothing observed (a calibration that did not take). */
export function uncalibrated(rows: readonly LayerQParams[]): LayerQParams[] {
  return rows.filter((r) => r.observer && !r.observer.includes('FixedScaleObserver') && r.min === undefined && r.scale.every((s) => s === 1));
}
