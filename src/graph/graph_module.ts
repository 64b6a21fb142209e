/**
 * GraphModule: a module that runs a traced graph. It holds the traced model's submodules under the same
 * names (so state_dict keys stay the user's) plus the generated ones, and its forward calls each node's
 * module or op in order. Prepared (QAT) models are GraphModules; tracing one again gives the same graph.
 */
import { Module, callModule } from '../nn/module';
import { Tensor } from '../engine/tensor';
import { Graph, Node, transformArgument, type Argument } from './node';
import { FUNCTIONS, METHODS } from './ops';
import { findTraceValue } from './trace_value';
import { printTabular } from './print';
import type { FusionRecord } from './fuse';
import { shallowCloneModule } from './clone';

export class GraphModule extends Module {
  graph: Graph;
  /** The class name of the traced model (printed instead of "GraphModule"). */
  readonly original_name: string;
  /** What fusion did to this module (fuse_fx). */
  fusions: FusionRecord[] = [];

  constructor(root: Module, graph: Graph, generated: ReadonlyMap<string, Module> = new Map(), original_name = root._typeName) {
    super();
    this.graph = graph;
    this.original_name = original_name;
    for (const [key, value] of Object.entries(root)) {
      if (value instanceof Module || (value instanceof Tensor && value.isParameter)) {
        (this as unknown as Record<string, unknown>)[key] = value;
      }
    }
    for (const [name, m] of generated) (this as unknown as Record<string, unknown>)[name] = m;
    this.training = root.training;
    this.qconfig = root.qconfig;
  }

  override get _typeName(): string {
    return this.original_name;
  }

  override forward(...inputs: unknown[]): unknown {
    const env = new Map<Node, unknown>();
    const placeholders = this.graph.placeholders;
    if (inputs.length < placeholders.length) {
      throw new Error(
        `${this.original_name}.forward expects ${placeholders.length} input(s) (${placeholders.map((p) => p.name).join(', ')}), got ${inputs.length}`,
      );
    }
    const load = (a: Argument) => transformArgument(a, (n) => {
      if (!env.has(n)) throw new Error(`GraphModule: ${n.name} is used before it is computed`);
      return env.get(n);
    });
    let placeholderIndex = 0;
    for (const node of this.graph.nodes) {
      if (node.op === 'placeholder') {
        env.set(node, inputs[placeholderIndex++]);
        continue;
      }
      if (node.op === 'output') return load(node.args[0]);
      const args = node.args.map(load);
      try {
        env.set(node, this.runNode(node, args));
      } catch (e) {
        throw annotate(e, node);
      }
    }
    throw new Error('GraphModule: the graph has no output node');
  }

  private runNode(node: Node, args: unknown[]): unknown {
    switch (node.op) {
      case 'call_module': {
        const module = this.get_submodule(node.target);
        if (node.method === 'forward') return callModule(module, 'forward', args);
        const method = (module as unknown as Record<string, unknown>)[node.method];
        if (typeof method !== 'function') throw new Error(`${node.target} (${module._typeName}) has no method '${node.method}'`);
        return (method as (...a: unknown[]) => unknown).apply(module, args);
      }
      case 'call_function': {
        const traced = findTraceValue(args);
        if (traced) return traced.tracer.callFunction(node.target, args);
        const fn = FUNCTIONS[node.target];
        if (!fn) throw new Error(`unknown function '${node.target}'`);
        return fn(...args);
      }
      case 'call_method': {
        const traced = findTraceValue(args);
        if (traced) return traced.tracer.callMethod(node.target, args);
        const fn = METHODS[node.target];
        if (!fn) throw new Error(`unknown tensor method '${node.target}'`);
        return fn(...args);
      }
      default:
        throw new Error(`GraphModule: unexpected node ${node.name} (${node.op})`);
    }
  }

  /** The graph as a table (opcode, name, target, args, kwargs), like torch.fx's `graph.print_tabular()`. */
  print_tabular(): string {
    return printTabular(this.graph);
  }

  /**
   * Puts `module` at a dotted path without touching the traced model: containers on the path that are
   * still shared with it are copied first (shallowly), so the original model keeps its structure.
   */
  replace_submodule(path: string, module: Module): void {
    const parts = path.split('.');
    let parent: Module = this;
    for (const part of parts.slice(0, -1)) {
      const record = parent as unknown as Record<string, unknown>;
      const child = record[part];
      if (!(child instanceof Module)) throw new Error(`replace_submodule: no submodule '${part}' in '${path}'`);
      if (!this.owned.has(child)) {
        const copy = shallowCloneModule(child);
        this.owned.add(copy);
        record[part] = copy;
      }
      parent = record[part] as Module;
    }
    (parent as unknown as Record<string, unknown>)[parts[parts.length - 1]!] = module;
  }

  /** Containers this GraphModule copied (see replace_submodule). */
  private get owned(): Set<Module> {
    let set = ownedContainers.get(this);
    if (!set) ownedContainers.set(this, (set = new Set()));
    return set;
  }

  /** Nodes that call a module, with the module (prepare and the check table walk these). */
  *module_nodes(): Generator<[Node, Module]> {
    for (const node of this.graph.nodes) {
      if (node.op === 'call_module') yield [node, this.get_submodule(node.target)];
    }
  }
}

const ownedContainers = new WeakMap<GraphModule, Set<Module>>();

/** Names the node (and where the user wrote it) in an error from running it; the original stays as `cause`. */
function annotate(e: unknown, node: Node): Error {
  if (!(e instanceof Error)) return new Error(`${node.name}: ${String(e)}`);
  if ((e as { graphNode?: string }).graphNode) return e;
  const where = node.meta.loc ? ` (${node.meta.loc.file}:${node.meta.loc.line}:${node.meta.loc.column})` : '';
  const target = node.op === 'call_module' ? node.target : `${node.op} ${node.target}`;
  const wrapped = new Error(`${node.name} [${target}]${where}: ${e.message}`, { cause: e });
  wrapped.name = e.name;
  (wrapped as { graphNode?: string }).graphNode = node.name;
  if (node.meta.loc) (wrapped as { userLocation?: unknown }).userLocation = node.meta.loc;
  return wrapped;
}
