/**
 * nn.Module, as in torch.nn: named children and parameters found from the object's own properties (in
 * the order they were assigned, like PyTorch's __setattr__ registration), train()/eval(), state_dict().
 *
 * Modules are callable: `this.conv1(x)` runs `forward` through `callModule`, the one place a tracer or a
 * hook can see every module call. (A class instance cannot be called in JavaScript, so the constructor
 * returns a function object whose prototype is the module's class prototype.)
 */
import { Tensor, keep } from '../engine/tensor';
import { loadStateDict, type StateDict } from './state';

/** What a module call hook sees; `run` performs the call as normal. */
export type ModuleCallHook = (module: Module, method: string, args: unknown[], run: () => unknown) => unknown;

let callHook: ModuleCallHook | null = null;

/** Installs a hook around every module call (the tracer, observers); returns the previous hook. */
export function setModuleCallHook(hook: ModuleCallHook | null): ModuleCallHook | null {
  const previous = callHook;
  callHook = hook;
  return previous;
}

/** Calls `module[method](...args)` through the hook (used by `module(...)` and FloatFunctional methods). */
export function callModule(module: Module, method: string, args: unknown[]): unknown {
  const run = () => (module as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!.apply(module, args);
  return callHook ? callHook(module, method, args, run) : run();
}

/** A parameter: a float tensor that requires grad and lives until its module is disposed. */
export type Parameter = Tensor;

export function Parameter(data: ArrayLike<number>, shape: readonly number[]): Parameter {
  const t = keep(Tensor.fromArray(data, shape));
  t.requiresGrad = true;
  t.isParameter = true;
  return t;
}

function isParameter(value: unknown): value is Parameter {
  return value instanceof Tensor && value.isParameter;
}

/** A non-trainable tensor saved in state_dict (BatchNorm running statistics). */
export function registerBuffer(module: Module, name: string, value: Tensor): void {
  keep(value);
  module._buffers.set(name, value);
}

export interface Module {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (...args: any[]): any;
}

export class Module {
  training = true;
  /** Eager-style quantization config (`model.qconfig = ...`), read by prepare. */
  qconfig: unknown = null;
  readonly _buffers = new Map<string, Tensor>();

  constructor() {
    const self = function (this: unknown, ...args: unknown[]) {
      return callModule(self as unknown as Module, 'forward', args);
    } as unknown as Module;
    // A function has own `name` and `length`; drop them so modules may have attributes of those names.
    delete (self as unknown as { name?: string }).name;
    delete (self as unknown as { length?: number }).length;
    Object.setPrototypeOf(self, new.target.prototype);
    // Fields declared above were set on `this` (a plain object); carry them over to the callable.
    Object.assign(self, this);
    return self;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  forward(..._args: any[]): any {
    throw new Error(`${this.constructor.name}.forward is not defined`);
  }

  /** The class name as PyTorch prints it (`Conv2d`, `ConvReLU2d`). */
  get _typeName(): string {
    return this.constructor.name;
  }

  *named_children(): Generator<[string, Module]> {
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) yield [key, value];
    }
  }

  children(): Module[] {
    return [...this.named_children()].map(([, m]) => m);
  }

  *named_modules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, child] of this.named_children()) {
      yield* child.named_modules(prefix ? `${prefix}.${name}` : name);
    }
  }

  modules(): Module[] {
    return [...this.named_modules()].map(([, m]) => m);
  }

  /** Own parameters (not children's). */
  *_ownParameters(): Generator<[string, Parameter]> {
    for (const [key, value] of Object.entries(this)) {
      if (isParameter(value)) yield [key, value];
    }
  }

  *named_parameters(prefix = ''): Generator<[string, Parameter]> {
    for (const [path, module] of this.named_modules(prefix)) {
      for (const [name, p] of module._ownParameters()) yield [path ? `${path}.${name}` : name, p];
    }
  }

  parameters(): Parameter[] {
    return [...this.named_parameters()].map(([, p]) => p);
  }

  *named_buffers(prefix = ''): Generator<[string, Tensor]> {
    for (const [path, module] of this.named_modules(prefix)) {
      for (const [name, b] of module._buffers) yield [path ? `${path}.${name}` : name, b];
    }
  }

  /** Looks up a submodule by dotted path (`layer1.0.conv`). */
  get_submodule(target: string): Module {
    if (target === '') return this;
    let m: Module = this;
    for (const part of target.split('.')) {
      const next = (m as unknown as Record<string, unknown>)[part];
      if (!(next instanceof Module)) throw new Error(`get_submodule: ${m._typeName} has no submodule '${part}' (in '${target}')`);
      m = next;
    }
    return m;
  }

  /** Replaces a submodule at a dotted path. */
  set_submodule(target: string, module: Module): void {
    const parts = target.split('.');
    const last = parts.pop()!;
    const parent = this.get_submodule(parts.join('.'));
    (parent as unknown as Record<string, unknown>)[last] = module;
  }

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  apply(fn: (m: Module) => void): this {
    for (const m of this.modules()) fn(m);
    return this;
  }

  requires_grad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /** Parameters and buffers by dotted name (tensors are shared, not copied). */
  state_dict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [name, p] of this.named_parameters()) out.set(name, p);
    for (const [name, b] of this.named_buffers()) out.set(name, b);
    return out;
  }

  /** Copies values into this module's parameters and buffers; names and shapes must match. */
  load_state_dict(state: StateDict, strict = true): void {
    loadStateDict(this, state, strict);
  }

  /** Frees every parameter and buffer, and what submodules hold besides (those that override dispose). */
  dispose(): void {
    for (const m of this.modules()) {
      if (m !== this && Object.getPrototypeOf(m).dispose !== Module.prototype.dispose) m.dispose();
    }
    for (const [, t] of this.state_dict()) t.dispose();
  }

  extra_repr(): string {
    return '';
  }

  toString(): string {
    const children = [...this.named_children()];
    const head = `${this._typeName}(${this.extra_repr()}`;
    if (children.length === 0) return `${head})`;
    const lines = children.map(([n, c]) => `  (${n}): ${c.toString().split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}
