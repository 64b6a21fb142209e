/**
 * Trained float weights for the PyTorch script: the float model's state_dict keys (the user's names,
 * `conv1.weight`, `bn1.running_mean`) with the values the QAT model holds, as a JSON file of base64
 * little-endian arrays (no .pt: nothing here can write pickles, and JSON loads without torch.load).
 *
 *   { "format": "qat-playground/state-dict", "version": 1,
 *     "tensors": { "conv1.weight": { "dtype": "float32", "shape": [16, 1, 3, 3], "data": "<base64>" }, ... } }
 */
import type { GraphModule } from '../../graph/graph_module';
import type { Tensor } from '../../engine/tensor';

export const WEIGHTS_FORMAT = 'qat-playground/state-dict';

export interface WeightsEntry {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: string;
}

export interface WeightsFile {
  format: typeof WEIGHTS_FORMAT;
  version: 1;
  tensors: Record<string, WeightsEntry>;
}

const FAKE_QUANT_PARTS = ['weight_fake_quant', 'activation_post_process', 'input_fake_quant'];

/**
 * The QAT model's parameters and buffers under the float model's names: a fused module `N` with members
 * [conv, bn, ...] holds `N.conv.*` (→ `conv.*`), `N.bn.*` (→ `bn.*`), `N.linear.*`; fake-quant state is left out.
 */
export function floatStateDictKeys(qat: GraphModule): Map<string, Tensor> {
  const fused = new Map(qat.fusions.map((f) => [f.name, f]));
  const out = new Map<string, Tensor>();
  for (const [key, t] of qat.state_dict()) {
    const parts = key.split('.');
    if (parts.some((p) => FAKE_QUANT_PARTS.includes(p))) continue;
    let mapped = key;
    for (const [name, record] of fused) {
      const prefix = `${name}.`;
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const [child, ...tail] = rest.split('.');
      if (child === 'conv' || child === 'linear') mapped = `${record.members[0]}.${tail.join('.')}`;
      else if (child === 'bn') mapped = `${record.members[1]}.${tail.join('.')}`;
      else continue;
      break;
    }
    out.set(mapped, t);
  }
  return out;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export async function weightsFile(state: Map<string, Tensor>): Promise<WeightsFile> {
  const tensors: Record<string, WeightsEntry> = {};
  for (const [key, t] of state) {
    if (t.dtype !== 'float32' && t.dtype !== 'int32') continue;
    const values = await t.read();
    const array = t.dtype === 'float32' ? Float32Array.from(values) : Int32Array.from(values);
    tensors[key] = { dtype: t.dtype, shape: [...t.shape], data: base64(new Uint8Array(array.buffer)) };
  }
  return { format: WEIGHTS_FORMAT, version: 1, tensors };
}
