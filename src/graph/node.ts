/**
 * The graph IR, shaped like torch.fx: a list of nodes, each with a unique name, an opcode, a target and
 * arguments that may refer to earlier nodes.
 *
 * - placeholder: an input of forward (target = the parameter name)
 * - call_module: a submodule call (target = its dotted path; `method` is 'forward' unless a
 *   FloatFunctional op such as 'add' or 'cat' was called)
 * - call_function: a functional op (target = its qualified name, e.g. 'torch.flatten', 'F.relu')
 * - call_method: a tensor method (target = the method name; args[0] is the tensor)
 * - output: what forward returns (args[0], any nesting of arrays/objects of nodes)
 */
import type { Tensor } from '../engine/tensor';
import { printTabular } from './print';

export type Opcode = 'placeholder' | 'call_module' | 'call_function' | 'call_method' | 'output';

/** Where a node came from in the user's code (1-based line and column). */
export interface SourceLoc {
  file: string;
  line: number;
  column: number;
}

/** A node argument: other nodes, constants (a tensor constant is a parameter passed to a functional op), and nestings of them. */
export type Argument =
  | Node
  | Tensor
  | number
  | string
  | boolean
  | null
  | undefined
  | readonly Argument[]
  | { readonly [key: string]: Argument };

/** Plain arrays and objects are walked into; anything else (nodes, tensors, constants) is a leaf. */
export function isContainer(a: unknown): a is readonly unknown[] | Record<string, unknown> {
  if (Array.isArray(a)) return true;
  if (!a || typeof a !== 'object') return false;
  const proto = Object.getPrototypeOf(a);
  return proto === Object.prototype || proto === null;
}

export class Node {
  /** Set by Graph when the node is created. */
  readonly graph: Graph;
  name: string;
  op: Opcode;
  target: string;
  /** For call_module: the module method called (FloatFunctional ops call 'add', 'cat', ...). */
  method: string;
  args: Argument[];
  kwargs: Record<string, Argument>;
  /** Free-form annotations (source location, dtypes decided by prepare, ...). */
  readonly meta: { loc?: SourceLoc; [key: string]: unknown } = {};

  constructor(graph: Graph, name: string, op: Opcode, target: string, args: Argument[], kwargs: Record<string, Argument>, method = 'forward') {
    this.graph = graph;
    this.name = name;
    this.op = op;
    this.target = target;
    this.method = method;
    this.args = args;
    this.kwargs = kwargs;
  }

  /** Nodes this node reads (in argument order, each once). */
  get inputNodes(): Node[] {
    const out: Node[] = [];
    const seen = new Set<Node>();
    const visit = (a: Argument) => {
      if (a instanceof Node) {
        if (!seen.has(a)) {
          seen.add(a);
          out.push(a);
        }
      }
    };
    mapArguments(this.args, visit);
    mapArguments(Object.values(this.kwargs), visit);
    return out;
  }

  /** Nodes that read this node (in graph order). */
  get users(): Node[] {
    return this.graph.nodes.filter((n) => n !== this && n.inputNodes.includes(this));
  }

  /** Replaces every use of this node by `replacement` in the nodes after it. */
  replaceAllUsesWith(replacement: Node): void {
    for (const user of this.users) {
      if (user === replacement) continue;
      user.args = user.args.map((a) => substitute(a, this, replacement));
      user.kwargs = Object.fromEntries(Object.entries(user.kwargs).map(([k, v]) => [k, substitute(v, this, replacement)]));
    }
  }

  toString(): string {
    return this.name;
  }
}

/** Calls `visit` on every leaf of nested argument arrays/objects. */
export function mapArguments(args: readonly Argument[], visit: (a: Argument) => void): void {
  for (const a of args) {
    if (Array.isArray(a)) mapArguments(a, visit);
    else if (isContainer(a)) mapArguments(Object.values(a) as Argument[], visit);
    else visit(a);
  }
}

/** Rebuilds an argument with every node replaced by `fn(node)`. */
export function transformArgument<T>(a: Argument, fn: (n: Node) => T): unknown {
  if (a instanceof Node) return fn(a);
  if (Array.isArray(a)) return a.map((x) => transformArgument(x, fn));
  if (isContainer(a)) {
    return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, transformArgument(v as Argument, fn)]));
  }
  return a;
}

function substitute(a: Argument, from: Node, to: Node): Argument {
  return transformArgument(a, (n) => (n === from ? to : n)) as Argument;
}

export class Graph {
  readonly nodes: Node[] = [];
  private readonly names = new Set<string>();

  /** A name not used yet: `base`, then `base_1`, `base_2`, ... (torch.fx's scheme). */
  uniqueName(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1') || 'node';
    let name = clean;
    for (let i = 1; this.names.has(name); i++) name = `${clean}_${i}`;
    this.names.add(name);
    return name;
  }

  create(op: Opcode, target: string, args: Argument[], kwargs: Record<string, Argument> = {}, options: { name?: string; method?: string } = {}): Node {
    const name = this.uniqueName(options.name ?? defaultName(op, target));
    const node = new Node(this, name, op, target, args, kwargs, options.method ?? 'forward');
    this.nodes.push(node);
    return node;
  }

  /** Inserts an existing-style node right before `before` (fusion puts the fused call where the pattern was). */
  insertBefore(before: Node, op: Opcode, target: string, args: Argument[], kwargs: Record<string, Argument> = {}, options: { name?: string; method?: string } = {}): Node {
    const name = this.uniqueName(options.name ?? defaultName(op, target));
    const node = new Node(this, name, op, target, args, kwargs, options.method ?? 'forward');
    const index = this.nodes.indexOf(before);
    if (index < 0) throw new Error(`Graph.insertBefore: ${before.name} is not in this graph`);
    this.nodes.splice(index, 0, node);
    return node;
  }

  /** Gives a node a new unique name based on `base`. */
  rename(node: Node, base: string): void {
    this.names.delete(node.name);
    node.name = this.uniqueName(base);
  }

  /** Removes a node that nothing uses any more. */
  erase(node: Node): void {
    const users = node.users;
    if (users.length) throw new Error(`Graph.erase: ${node.name} is still used by ${users.map((u) => u.name).join(', ')}`);
    const index = this.nodes.indexOf(node);
    if (index >= 0) this.nodes.splice(index, 1);
    this.names.delete(node.name);
  }

  get placeholders(): Node[] {
    return this.nodes.filter((n) => n.op === 'placeholder');
  }

  get output(): Node {
    const out = this.nodes.find((n) => n.op === 'output');
    if (!out) throw new Error('Graph has no output node');
    return out;
  }

  find(name: string): Node | undefined {
    return this.nodes.find((n) => n.name === name);
  }

  /** The graph as a table (opcode, name, target, args, kwargs), like torch.fx's `print_tabular()`. */
  print_tabular(): string {
    return printTabular(this);
  }

  /** Checks that every argument refers to an earlier node of this graph. */
  lint(): void {
    const seen = new Set<Node>();
    for (const node of this.nodes) {
      for (const input of node.inputNodes) {
        if (!seen.has(input)) throw new Error(`Graph.lint: ${node.name} uses ${input.name}, which is not defined before it`);
      }
      seen.add(node);
    }
  }
}

function defaultName(op: Opcode, target: string): string {
  if (op === 'output') return 'output';
  if (op === 'call_function') return target.slice(target.lastIndexOf('.') + 1);
  return target.replace(/\./g, '_');
}
