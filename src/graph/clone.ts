/**
 * A shallow copy of a module: a new callable module object (of `proto`'s class, by default the same
 * class) holding the same attributes — submodules, parameters and buffers are shared, not copied. The
 * class constructor does not run, so nothing is re-initialised.
 */
import { Module, callModule } from '../nn/module';
import type { Tensor } from '../engine/tensor';

export function shallowCloneModule<T extends Module>(source: Module, proto: object = Object.getPrototypeOf(source)): T {
  const self = function (...args: unknown[]) {
    return callModule(self as unknown as Module, 'forward', args);
  } as unknown as T;
  delete (self as unknown as { name?: string }).name;
  delete (self as unknown as { length?: number }).length;
  Object.setPrototypeOf(self, proto);
  for (const key of Object.keys(source)) {
    const value = (source as unknown as Record<string, unknown>)[key];
    const copy = key === '_buffers' ? new Map(value as Map<string, Tensor>) : value;
    Object.defineProperty(self, key, { value: copy, writable: true, enumerable: true, configurable: true });
  }
  return self;
}
