/**
 * Compiles an editor file to a function body: types stripped by sucrase (which keeps lines), ES imports
 * turned into `require` calls, and operators rewritten so tensors can flow through them:
 *
 * - `a + b`, `a - b`, `a * b` (and `+=`, `-=`, `*=`) call `__dsl.add` / `sub` / `mul`, which record a
 *   graph op for a traced tensor, run the engine op for a real tensor, and fall back to the plain
 *   operator otherwise;
 * - conditions (`if`, `?:`, `while`, `for`, `!`, the left side of `&&`/`||`) go through `__dsl.truth`,
 *   which rejects a traced tensor (data-dependent control flow) and returns anything else unchanged.
 *
 * Positions in the result map back to the user's file through both source maps (sucrase's and ours).
 */
import { transform } from 'sucrase';
import { parse, type Node as AcornNode } from 'acorn';
import MagicString from 'magic-string';
import { decodeMappings, lookupMapping, type Mappings } from './source_map';

export interface Diagnostic {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface CompiledFile {
  file: string;
  /** JavaScript to run as a function body. */
  code: string;
  /** Generated line/column (1-based, relative to `code`) → the user's line/column (1-based). */
  map(line: number, column: number): { line: number; column: number };
}

export class CompileError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(`${diagnostic.file}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.message}`);
    this.name = 'CompileError';
  }
}

/** 1-based line and column of a character offset. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function cleanMessage(message: string): string {
  return message.replace(/^Error transforming [^:]*: /, '').replace(/\s*\(\d+:\d+\)\s*$/, '');
}

export function compileFile(file: string, source: string): CompiledFile {
  let stripped: { code: string; sourceMap?: { mappings: string } };
  try {
    stripped = transform(source, {
      transforms: ['typescript', 'imports'],
      disableESTransforms: true,
      // An unused import must still be resolved (and fail on a wrong name), as in the real modules.
      keepUnusedImports: true,
      filePath: file,
      sourceMapOptions: { compiledFilename: file.replace(/\.ts$/, '.js') },
    });
  } catch (e) {
    const err = e as Error & { pos?: number };
    const pos = positionOf(source, err.pos ?? 0);
    throw new CompileError({ file, ...pos, message: `Syntax error: ${cleanMessage(err.message)}`, severity: 'error' });
  }
  const sucraseMap = decodeMappings(stripped.sourceMap?.mappings ?? '');
  const toSource = (line0: number, col0: number) => {
    const [l, c] = lookupMapping(sucraseMap, line0, col0);
    return { line: l + 1, column: c + 1 };
  };

  let ast: AcornNode;
  try {
    ast = parse(stripped.code, { ecmaVersion: 'latest', sourceType: 'script', preserveParens: true, allowReturnOutsideFunction: true });
  } catch (e) {
    // sucrase accepted it but the JavaScript is not valid (e.g. a strict-mode rule): map back to the source.
    const err = e as Error & { pos?: number };
    const p = positionOf(stripped.code, err.pos ?? 0);
    throw new CompileError({ file, ...toSource(p.line - 1, p.column - 1), message: `Syntax error: ${cleanMessage(err.message)}`, severity: 'error' });
  }

  const rewritten = rewriteOperators(stripped.code, ast);
  const ourMap: Mappings = rewritten.generateDecodedMap({ hires: true }).mappings as Mappings;
  return {
    file,
    code: rewritten.toString(),
    map(line, column) {
      const [l1, c1] = lookupMapping(ourMap, line - 1, column - 1, { insertedMapsForward: true });
      return toSource(l1, c1);
    },
  };
}

type Any = AcornNode & Record<string, unknown>;

function children(node: Any): Any[] {
  const out: Any[] = [];
  for (const key of Object.keys(node)) {
    if (key === 'loc' || key === 'range') continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const v of value) if (v && typeof v === 'object' && typeof (v as Any).type === 'string') out.push(v as Any);
    } else if (value && typeof value === 'object' && typeof (value as Any).type === 'string') {
      out.push(value as Any);
    }
  }
  return out;
}

function isSimpleTarget(node: Any): boolean {
  if (node.type === 'Identifier') return true;
  if (node.type === 'MemberExpression' && !node.computed) return isSimpleTarget(node.object as Any) || (node.object as Any).type === 'ThisExpression';
  return false;
}

/** The binary operators tensors flow through, and the runtime function each becomes. */
const OPERATORS: Record<string, string> = { '+': 'add', '-': 'sub', '*': 'mul' };

function rewriteOperators(code: string, ast: AcornNode): MagicString {
  const s = new MagicString(code);
  const wrap = (node: Any, fn: string) => {
    s.prependRight(node.start, `__dsl.${fn}(`);
    s.appendLeft(node.end, ')');
  };
  // Post-order: inner expressions are rewritten first, so an outer call's prefix lands before theirs.
  const visit = (node: Any) => {
    for (const child of children(node)) visit(child);
    switch (node.type) {
      case 'BinaryExpression': {
        const fn = OPERATORS[node.operator as string];
        if (!fn) break;
        const left = node.left as Any;
        const right = node.right as Any;
        s.prependRight(node.start, `__dsl.${fn}(`);
        s.overwrite(left.end, right.start, ', ');
        s.appendLeft(node.end, ')');
        break;
      }
      case 'AssignmentExpression': {
        const fn = OPERATORS[(node.operator as string).slice(0, -1)];
        const left = node.left as Any;
        if (!fn || !(node.operator as string).endsWith('=') || !isSimpleTarget(left)) break;
        const right = node.right as Any;
        const target = code.slice(left.start, left.end);
        s.overwrite(left.end, right.start, ` = __dsl.${fn}(${target}, `);
        s.appendLeft(node.end, ')');
        break;
      }
      case 'IfStatement':
      case 'WhileStatement':
      case 'DoWhileStatement':
      case 'ConditionalExpression':
        wrap(node.test as Any, 'truth');
        break;
      case 'ForStatement':
        if (node.test) wrap(node.test as Any, 'truth');
        break;
      case 'UnaryExpression':
        if (node.operator === '!') wrap(node.argument as Any, 'truth');
        break;
      case 'LogicalExpression':
        if (node.operator !== '??') wrap(node.left as Any, 'truth');
        break;
    }
  };
  visit(ast as Any);
  return s;
}
