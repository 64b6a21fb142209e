/**
 * Where running code came from: every compiled editor file is registered under a unique source URL
 * (`qat-dsl/<id>/model.ts`), so any stack trace, from evaluation, tracing or a later stage, can be mapped
 * back to the user's file, line and column.
 */
import type { SourceLoc } from '../graph/node';

/** A compiled file: maps a (1-based) line/column of the code that ran to the user's source. */
export interface CompiledUnit {
  readonly id: number;
  readonly file: string;
  readonly url: string;
  /** Line and column (1-based) inside the evaluated function body → the user's line and column (1-based). */
  map(line: number, column: number): { line: number; column: number };
}

const URL_PREFIX = 'qat-dsl';
const MAX_UNITS = 32;
const units = new Map<string, CompiledUnit>();
let nextId = 1;

export function newUnitId(): number {
  return nextId++;
}

export function unitUrl(id: number, file: string): string {
  return `${URL_PREFIX}/${id}/${file}`;
}

export function registerUnit(unit: CompiledUnit): void {
  units.set(unit.url, unit);
  // Old evaluations are dropped; a stack from them would map to nothing rather than to wrong lines.
  while (units.size > MAX_UNITS) units.delete(units.keys().next().value!);
}

/**
 * How many lines `new Function` puts before the body (V8: `function anonymous(a\n) {\n`). Measured once
 * rather than assumed, since engines differ.
 */
let bodyLineOffset: number | null = null;

export function functionBodyLineOffset(): number {
  if (bodyLineOffset === null) {
    const probeUrl = `${URL_PREFIX}/0/probe.js`;
    try {
      new Function('a', `throw new Error('probe')\n//# sourceURL=${probeUrl}`)();
    } catch (e) {
      const m = new RegExp(`${URL_PREFIX}/0/probe\\.js:(\\d+)`).exec(String((e as Error).stack));
      bodyLineOffset = m ? Number(m[1]) - 1 : 2;
    }
  }
  return bodyLineOffset ?? 2;
}

const FRAME = new RegExp(`${URL_PREFIX}/(\\d+)/([\\w.-]+):(\\d+):(\\d+)`, 'g');

/** Every frame of a stack that is in the user's code, mapped to their source, innermost first. */
export function userFrames(stack: string | undefined): SourceLoc[] {
  if (!stack) return [];
  const out: SourceLoc[] = [];
  const offset = functionBodyLineOffset();
  for (const m of stack.matchAll(FRAME)) {
    const unit = units.get(`${URL_PREFIX}/${m[1]}/${m[2]}`);
    if (!unit) continue;
    const mapped = unit.map(Number(m[3]) - offset, Number(m[4]));
    out.push({ file: unit.file, line: mapped.line, column: mapped.column });
  }
  return out;
}

/** The innermost user frame of the current call stack (where a traced op was written). */
export function currentUserLocation(): SourceLoc | undefined {
  return userFrames(new Error().stack)[0];
}

/** Evaluation, tracing and stages raise the stack depth so user frames stay in deep library stacks. */
export function ensureDeepStacks(): void {
  const E = Error as unknown as { stackTraceLimit?: number };
  if (typeof E.stackTraceLimit === 'number' && E.stackTraceLimit < 64) E.stackTraceLimit = 64;
}
