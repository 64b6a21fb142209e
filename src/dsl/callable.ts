/**
 * Python constructs with a call (`QConfig(output=...)`), TypeScript with `new`. The DSL's classes that
 * people copy from Python code accept both: `QConfig({...})` and `new QConfig({...})` give the same object.
 */
export type CallableClass<C extends new (...args: never[]) => unknown> = C & ((...args: ConstructorParameters<C>) => InstanceType<C>);

export function callableClass<C extends new (...args: never[]) => unknown>(cls: C): CallableClass<C> {
  const fn = function (...args: ConstructorParameters<C>) {
    return new cls(...args);
  };
  Object.defineProperty(fn, 'name', { value: cls.name });
  fn.prototype = cls.prototype;
  for (const key of Object.getOwnPropertyNames(cls)) {
    if (!['length', 'name', 'prototype'].includes(key)) Object.defineProperty(fn, key, Object.getOwnPropertyDescriptor(cls, key)!);
  }
  return fn as unknown as CallableClass<C>;
}
