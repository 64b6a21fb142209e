import { Tensor } from '../engine/tensor';
import type { Module } from './module';

/** A state dict: dotted names to tensors or plain arrays (a checkpoint read back from IndexedDB). */
export type StateDict = Map<string, Tensor | ArrayLike<number>> | Record<string, Tensor | ArrayLike<number>>;

/**
 * Copies values into a module's parameters and buffers. With `strict`, every name must be present on
 * both sides; shapes (element counts) must match always. Errors name the key and both shapes.
 */
export function loadStateDict(module: Module, state: StateDict, strict: boolean): void {
  const entries = state instanceof Map ? state : new Map(Object.entries(state));
  const own = module.state_dict();
  const missing = [...own.keys()].filter((k) => !entries.has(k));
  const unexpected = [...entries.keys()].filter((k) => !own.has(k));
  if (strict && (missing.length || unexpected.length)) {
    const parts = [];
    if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
    if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
    throw new Error(`load_state_dict into ${module._typeName}: ${parts.join('; ')}`);
  }
  for (const [name, target] of own) {
    const value = entries.get(name);
    if (value === undefined) continue;
    const n = value instanceof Tensor ? value.numel : value.length;
    if (n !== target.numel) {
      const shape = value instanceof Tensor ? `[${value.shape.join(', ')}]` : `${n} values`;
      throw new Error(`load_state_dict: '${name}' has ${shape}, the model has [${target.shape.join(', ')}]`);
    }
    target.assign(value);
  }
}
