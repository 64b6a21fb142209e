/**
 * `with_args`, as torch.ao.quantization's _with_args: a factory that makes a new instance on each call,
 * with the arguments bound so far; `.with_args(more)` binds more (later ones win). The factory keeps
 * its class and arguments for printing and for the check table.
 */
export interface Factory<T, A extends object = object> {
  (): T;
  /** Binds more arguments; returns a new factory. */
  with_args(args: Partial<A>): Factory<T, A>;
  /** The class the factory makes (for names in tables: `factory.cls.name`). */
  readonly cls: { readonly name: string };
  /** The bound arguments. */
  readonly args: Readonly<Partial<A>>;
  toString(): string;
}

export function makeFactory<T, A extends object>(cls: new (args: Partial<A>) => T, args: Partial<A>): Factory<T, A> {
  const bound = { ...args };
  const factory = (() => new cls({ ...bound })) as Factory<T, A>;
  Object.defineProperty(factory, 'cls', { value: cls });
  Object.defineProperty(factory, 'args', { value: Object.freeze({ ...bound }) });
  Object.defineProperty(factory, 'with_args', { value: (more: Partial<A>) => makeFactory(cls, { ...bound, ...more }) });
  Object.defineProperty(factory, 'toString', {
    value: () => `functools.partial(<class '${cls.name}'>${formatArgs(bound)})`,
  });
  return factory;
}

function formatArgs(args: object): string {
  const parts = Object.entries(args).map(([k, v]) => `${k}=${formatValue(v)}`);
  return parts.length ? `, ${parts.join(', ')}` : '';
}

function formatValue(v: unknown): string {
  if (typeof v === 'function') {
    const f = v as { cls?: { name: string }; name?: string };
    return f.cls ? `${f.cls.name}.with_args(...)` : (f.name ?? 'function');
  }
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** A class or a factory: what `observer=` accepts (PyTorch takes either). */
export type ClassOrFactory<T, A extends object> = (new (args: Partial<A>) => T) | Factory<T, A>;

export function isFactory<T, A extends object>(v: ClassOrFactory<T, A>): v is Factory<T, A> {
  return typeof v === 'function' && 'with_args' in v && 'cls' in v && typeof (v as Factory<T, A>).args === 'object';
}

/**
 * Instantiates a class or a factory with extra arguments. As with functools.partial, arguments given at
 * the call win over the bound ones; undefined extras are left out.
 */
export function instantiate<T, A extends object>(what: ClassOrFactory<T, A>, extra: Partial<A>): T {
  const given = Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined)) as Partial<A>;
  if (isFactory(what)) {
    const cls = what.cls as new (args: Partial<A>) => T;
    return new cls({ ...what.args, ...given });
  }
  return new what(given);
}

/** Rejects options a class does not take, naming them and what it does take. */
export function checkOptions(owner: string, args: object, allowed: readonly string[]): void {
  const unknown = Object.keys(args).filter((k) => !allowed.includes(k) && (args as Record<string, unknown>)[k] !== undefined);
  if (unknown.length) {
    throw new Error(`${owner}: unexpected option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (it takes ${allowed.join(', ')})`);
  }
}
