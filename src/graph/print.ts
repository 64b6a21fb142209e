/**
 * Printing a graph as torch.fx does: `print_tabular()` gives columns opcode, name, target, args, kwargs
 * with Python-style values (tuples, quoted strings, None/True/False), so the table reads like PyTorch's.
 */
import { Tensor } from '../engine/tensor';
import { Node, isContainer, type Argument, type Graph } from './node';

export function formatArgument(a: Argument | unknown): string {
  if (a instanceof Node) return a.name;
  if (a instanceof Tensor) return `tensor(shape=[${a.shape.join(', ')}])`;
  if (a === null || a === undefined) return 'None';
  if (a === true) return 'True';
  if (a === false) return 'False';
  if (typeof a === 'string') return `'${a}'`;
  if (typeof a === 'number') return Number.isInteger(a) ? String(a) : String(a);
  if (Array.isArray(a)) return `[${a.map(formatArgument).join(', ')}]`;
  if (isContainer(a)) {
    return `{${Object.entries(a).map(([k, v]) => `'${k}': ${formatArgument(v)}`).join(', ')}}`;
  }
  return String(a);
}

/** A node's args as a Python tuple: `(x,)`, `(x, 1)`, `()`. */
export function formatArgs(args: readonly Argument[]): string {
  if (args.length === 1) return `(${formatArgument(args[0])},)`;
  return `(${args.map(formatArgument).join(', ')})`;
}

export function formatKwargs(kwargs: Record<string, Argument>): string {
  return `{${Object.entries(kwargs).map(([k, v]) => `'${k}': ${formatArgument(v)}`).join(', ')}}`;
}

/** The target column: a module path (with `.method` for FloatFunctional ops), a function name, a method name. */
export function formatTarget(node: Node): string {
  if (node.op === 'call_module' && node.method !== 'forward') return `${node.target}.${node.method}`;
  return node.target;
}

export function printTabular(graph: Graph): string {
  const header = ['opcode', 'name', 'target', 'args', 'kwargs'];
  const rows = graph.nodes.map((n) => [n.op, n.name, formatTarget(n), formatArgs(n.args), formatKwargs(n.kwargs)]);
  return formatTable(header, rows);
}

/** A plain-text table with a dashed rule under the header (tabulate's "simple" format). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
