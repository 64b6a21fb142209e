/**
 * Evaluates the two editor files: `model.ts` (its default export is an nn.Module subclass, instantiated
 * here) and `qconfig.ts` (the quantization config of the stages; it may import from './model').
 *
 * Each file runs as a `new Function` body whose only names besides JavaScript's own are `require` (the
 * DSL modules) and `__dsl` (rewritten operators); page and worker globals (`self`, `fetch`, `postMessage`,
 * ...) are shadowed. Any failure comes back as a diagnostic with the user's file, line and column.
 */
import { Module } from '../nn/module';
import { CompileError, compileFile, type CompiledFile, type Diagnostic } from './compile';
import { ensureDeepStacks, newUnitId, registerUnit, unitUrl, userFrames } from './sources';
import { dslRuntime } from './torch';
import { resolveDslModule } from './modules';
import { normalizeConfig, type PlaygroundConfig } from './config';
import { symbolic_trace } from '../graph/tracer';
import { fuse_fx } from '../graph/fuse';
import type { GraphModule } from '../graph/graph_module';

export type { Diagnostic } from './compile';

export const MODEL_FILE = 'model.ts';
export const QCONFIG_FILE = 'qconfig.ts';

export interface SourceFiles {
  'model.ts': string;
  'qconfig.ts': string;
}

export interface EvaluatedProgram {
  /** A fresh instance of model.ts's default export. */
  model: Module;
  /** Builds another instance (e.g. a fresh float model for prepare, as `copy.deepcopy` would). */
  createModel(): Module;
  modelExports: Record<string, unknown>;
  qconfigExports: Record<string, unknown>;
  /** qconfig.ts's stage configuration (setters, eager qconfig hooks, stage settings). */
  config: PlaygroundConfig;
  /** Frees `model`'s parameters and buffers (GPU memory, when a device is open). */
  dispose(): void;
}

export type EvaluateResult = { ok: true; program: EvaluatedProgram; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

/** Globals user code must not reach: it runs in the worker, which owns the GPU and the message port. */
const SHADOWED = [
  'window', 'self', 'globalThis', 'document', 'fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'importScripts',
  'postMessage', 'close', 'onmessage', 'addEventListener', 'indexedDB', 'caches', 'navigator', 'location',
  'localStorage', 'sessionStorage', 'Worker', 'SharedWorker', 'BroadcastChannel', 'process', 'global',
];

/** The wrapper puts the code inside an inner function, on the same first line, so lines do not move. */
const PREFIX = 'return (function () {';

function runFile(compiled: CompiledFile, requireFn: (spec: string) => unknown): Record<string, unknown> {
  const id = newUnitId();
  const url = unitUrl(id, compiled.file);
  registerUnit({
    id,
    file: compiled.file,
    url,
    map: (line, column) => compiled.map(line, line === 1 ? Math.max(1, column - PREFIX.length) : column),
  });
  const body = `${PREFIX}${compiled.code}\n}).call(undefined);\n//# sourceURL=${url}`;
  const exports: Record<string, unknown> = {};
  const module = { exports };
  const fn = new Function('require', 'exports', 'module', '__dsl', ...SHADOWED, body) as (...args: unknown[]) => void;
  fn(requireFn, exports, module, dslRuntime, ...SHADOWED.map(() => undefined));
  return module.exports;
}

function errorMessage(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  return e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message;
}

/**
 * A diagnostic for any error: a compile error's own position, else the innermost user frame of its
 * stack (or of its causes), else line 1 of `fallbackFile`.
 */
export function diagnosticFromError(e: unknown, fallbackFile: string = MODEL_FILE): Diagnostic {
  if (e instanceof CompileError) return e.diagnostic;
  const message = errorMessage(e);
  for (let err: unknown = e; err instanceof Error; err = err.cause) {
    const loc = (err as { userLocation?: { file: string; line: number; column: number } }).userLocation ?? userFrames(err.stack)[0];
    if (loc) return { file: loc.file, line: loc.line, column: loc.column, message, severity: 'error' };
  }
  return { file: fallbackFile, line: 1, column: 1, message, severity: 'error' };
}

function moduleClassOf(exports: Record<string, unknown>): (new () => Module) | Module | string {
  const d = exports.default;
  if (typeof d === 'function' && d.prototype instanceof Module) return d as new () => Module;
  if (d instanceof Module) return d;
  if (d === undefined) return 'model.ts has no default export: write `export default class Net extends nn.Module { ... }`';
  return `model.ts's default export must be a class extending nn.Module (got ${typeof d === 'function' ? 'a function that is not an nn.Module subclass' : typeof d})`;
}

export function evaluate(files: SourceFiles): EvaluateResult {
  ensureDeepStacks();
  const diagnostics: Diagnostic[] = [];
  let modelCompiled: CompiledFile;
  let qconfigCompiled: CompiledFile;
  try {
    modelCompiled = compileFile(MODEL_FILE, files[MODEL_FILE]);
  } catch (e) {
    diagnostics.push(diagnosticFromError(e, MODEL_FILE));
  }
  try {
    qconfigCompiled = compileFile(QCONFIG_FILE, files[QCONFIG_FILE]);
  } catch (e) {
    diagnostics.push(diagnosticFromError(e, QCONFIG_FILE));
  }
  if (diagnostics.length) return { ok: false, diagnostics };

  let modelExports: Record<string, unknown>;
  try {
    modelExports = runFile(modelCompiled!, (spec) => resolveDslModule(spec, MODEL_FILE, null));
  } catch (e) {
    return { ok: false, diagnostics: [diagnosticFromError(e, MODEL_FILE)] };
  }
  const cls = moduleClassOf(modelExports);
  if (typeof cls === 'string') return { ok: false, diagnostics: [{ file: MODEL_FILE, line: 1, column: 1, message: cls, severity: 'error' }] };
  const createModel = (): Module => (cls instanceof Module ? cls : new cls());
  let model: Module;
  try {
    model = createModel();
  } catch (e) {
    return { ok: false, diagnostics: [diagnosticFromError(e, MODEL_FILE)] };
  }

  let qconfigExports: Record<string, unknown>;
  let config: PlaygroundConfig;
  try {
    qconfigExports = runFile(qconfigCompiled!, (spec) => resolveDslModule(spec, QCONFIG_FILE, modelExports));
    config = normalizeConfig(qconfigExports);
  } catch (e) {
    model.dispose();
    return { ok: false, diagnostics: [diagnosticFromError(e, QCONFIG_FILE)] };
  }
  const program = { model, createModel, modelExports, qconfigExports, config, dispose: () => model.dispose() };
  return { ok: true, program, diagnostics };
}

export type TraceResult = { ok: true; graph: GraphModule; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

/** Traces (and, by default, fuses) an evaluated model; errors come back as diagnostics in the user's code. */
export function traceModel(model: Module, options: { fuse?: boolean } = {}): TraceResult {
  try {
    const graph = symbolic_trace(model);
    if (options.fuse ?? true) fuse_fx(graph);
    return { ok: true, graph, diagnostics: [] };
  } catch (e) {
    return { ok: false, diagnostics: [diagnosticFromError(e, MODEL_FILE)] };
  }
}

/**
 * Evaluates both files and traces and fuses the model (the graph shares `program.model`'s layers; the
 * model itself keeps its structure). Call `program.dispose()` when this program is replaced.
 */
export function loadSources(files: SourceFiles): { ok: true; program: EvaluatedProgram; graph: GraphModule; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] } {
  const evaluated = evaluate(files);
  if (!evaluated.ok) return evaluated;
  const traced = traceModel(evaluated.program.model);
  if (!traced.ok) {
    evaluated.program.dispose();
    return traced;
  }
  return { ok: true, program: evaluated.program, graph: traced.graph, diagnostics: [] };
}
