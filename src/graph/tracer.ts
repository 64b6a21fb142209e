/**
 * symbolic_trace: runs a model's forward with trace values instead of tensors and records what it does
 * as a Graph (torch.fx's symbolic trace). Module calls are seen through the module call hook; functional
 * ops and tensor methods are recorded by the trace values themselves. Functional ops that quantization
 * must observe (add, mul, cat, matmul) become generated FloatFunctional modules `_generated_add_0`, ...
 */
import { Module, setModuleCallHook } from '../nn/module';
import { FloatFunctional, Identity } from '../nn/index';
import { Tensor } from '../engine/tensor';
import { currentUserLocation, ensureDeepStacks } from '../dsl/sources';
import { Graph, Node, type Argument } from './node';
import { isLeafModule } from './leaf';
import { TraceError, TraceValue, containsTraceValue, type GeneratedKind, type TracerApi } from './trace_value';
import { GraphModule } from './graph_module';

export interface TraceOptions {
  /** Names of forward's inputs; read from forward's parameter list when not given. */
  input_names?: readonly string[];
}

/** The parameter names of a function, from its source text (`forward(x, y = 1)` → ['x', 'y']). */
export function parameterNames(fn: (...args: never[]) => unknown): string[] {
  const text = Function.prototype.toString.call(fn);
  const open = text.indexOf('(');
  if (open < 0) return [];
  let depth = 0;
  let close = open;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    if (depth === 0) {
      close = i;
      break;
    }
  }
  const params = text.slice(open + 1, close).replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const names: string[] = [];
  depth = 0;
  let current = '';
  for (const c of params + ',') {
    if (c === '(' || c === '[' || c === '{') depth++;
    if (c === ')' || c === ']' || c === '}') depth--;
    if (c === ',' && depth === 0) {
      const name = /^\s*(?:\.\.\.)?\s*([A-Za-z_$][\w$]*)/.exec(current)?.[1];
      if (current.trim()) names.push(name ?? `input_${names.length}`);
      current = '';
    } else {
      current += c;
    }
  }
  return names;
}

class Tracer implements TracerApi {
  readonly graph = new Graph();
  readonly generated = new Map<string, Module>();
  private readonly paths = new Map<Module, string>();
  private readonly counters = new Map<string, number>();

  constructor(readonly root: Module) {
    for (const [path, m] of root.named_modules()) {
      if (!this.paths.has(m)) this.paths.set(m, path);
    }
  }

  private create(op: 'call_module' | 'call_function' | 'call_method', target: string, args: unknown[], method?: string, name?: string): TraceValue {
    const node = this.graph.create(op, target, args.map((a) => this.toArgument(a)), {}, { method, name });
    const loc = currentUserLocation();
    if (loc) node.meta.loc = loc;
    return new TraceValue(node, this);
  }

  toArgument(value: unknown): Argument {
    if (value instanceof TraceValue) {
      if (value.tracer !== this) throw new TraceError('a traced value from another trace was used');
      return value.node;
    }
    if (value === null || value === undefined || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
      return value;
    }
    if (value instanceof Tensor) return value;
    if (Array.isArray(value)) return value.map((v) => this.toArgument(v));
    if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.toArgument(v)]));
    }
    const what = value instanceof Module ? `a module (${value._typeName})` : typeof value === 'function' ? 'a function' : `a ${value.constructor?.name ?? typeof value}`;
    throw new TraceError(`cannot record ${what} as an argument of a traced op: pass tensors, numbers, strings, or arrays/objects of them`);
  }

  callMethod(method: string, args: unknown[]): TraceValue {
    return this.create('call_method', method, args);
  }

  callFunction(target: string, args: unknown[]): TraceValue {
    return this.create('call_function', target, args);
  }

  callGenerated(kind: GeneratedKind, args: unknown[]): TraceValue {
    const n = this.counters.get(kind) ?? 0;
    this.counters.set(kind, n + 1);
    const path = `_generated_${kind}_${n}`;
    const module = new FloatFunctional();
    this.generated.set(path, module);
    this.paths.set(module, path);
    return this.create('call_module', path, args, kind, path);
  }

  /** The module call hook while tracing. */
  onModuleCall(module: Module, method: string, args: unknown[], run: () => unknown): unknown {
    if (!containsTraceValue(args)) return run();
    if (module instanceof Identity) return args[0];
    if (!isLeafModule(module)) return run();
    const path = this.paths.get(module);
    if (path === undefined) {
      throw new TraceError(
        `a ${module._typeName} called in forward is not a submodule of the model: create it in the constructor (this.name = new nn.${module._typeName}(...))`,
      );
    }
    // FloatFunctional's public methods call their `_add`, `_cat`, ... implementation through the hook.
    const op = method.startsWith('_') ? method.slice(1) : method;
    return this.create('call_module', path, args, op);
  }

  placeholder(name: string): TraceValue {
    const node = this.graph.create('placeholder', name, [], {}, { name });
    return new TraceValue(node, this);
  }

  output(value: unknown): Node {
    return this.graph.create('output', 'output', [this.toArgument(value)]);
  }
}

/**
 * Traces `root.forward` into a GraphModule that shares root's submodules (and holds the generated
 * modules). Errors are TraceErrors whose stack points into the user's code.
 */
export function symbolic_trace(root: Module, options: TraceOptions = {}): GraphModule {
  ensureDeepStacks();
  const tracer = new Tracer(root);
  const names =
    options.input_names ?? (root instanceof GraphModule ? root.graph.placeholders.map((p) => p.target) : parameterNames(root.forward));
  const inputs = names.map((name) => tracer.placeholder(name));
  const previous = setModuleCallHook((module, method, args, run) => tracer.onModuleCall(module, method, args, run));
  let result: unknown;
  try {
    result = root.forward(...inputs);
  } finally {
    setModuleCallHook(previous);
  }
  tracer.output(result);
  tracer.graph.lint();
  const className = root instanceof GraphModule ? root.original_name : root._typeName;
  return new GraphModule(root, tracer.graph, tracer.generated, className);
}
