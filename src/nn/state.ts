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
  for (const [name, own_target] of own) {
    const value = entries.get(name);
    if (value === undefined) continue;
    const n = value instanceof Tensor ? value.numel : value.length;
    let target = own_target;
    if (n !== target.numel) target = resizeForLoad(module, name, value instanceof Tensor ? value.shape : [n]) ?? target;
    if (n !== target.numel) {
      const shape = value instanceof Tensor ? `[${value.shape.join(', ')}]` : `${n} values`;
      throw new Error(`load_state_dict: '${name}' has ${shape}, the model has [${target.shape.join(', ')}]`);
    }
    target.assign(value);
  }
}

/**
 * Buffers whose size follows the data (a per-channel observer's min_val before its first batch) take the
 * checkpoint's shape when their module offers `_resize_buffer_for_load(name, shape)`, as PyTorch's
 * observers do in _load_from_state_dict.
 */
function resizeForLoad(module: Module, name: string, shape: readonly number[]): Tensor | null {
  const dot = name.lastIndexOf('.');
  const owner = module.get_submodule(dot < 0 ? '' : name.slice(0, dot)) as Module & {
    _resize_buffer_for_load?: (local: string, shape: readonly number[]) => Tensor | null;
  };
  return owner._resize_buffer_for_load?.(name.slice(dot + 1), shape) ?? null;
}
