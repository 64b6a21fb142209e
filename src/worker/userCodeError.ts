/**
 * A model's state_dict read back as plain data, in the checkpoint layout the pipeline's stages share
 * ({ version, kind, createdAt, tensors: { name: { shape, dtype, data } }, meta }), and code errors
 * raised while a stage runs user code, located in the user's file.
 */
import { diagnosticFromError, type Diagnostic } from '../dsl/index';
import type { DType, HostArray } from '../engine/tensor';
import type { Module } from '../nn/module';

export interface ModelCheckpoint {
  version: 1;
  kind: 'float' | 'calibration' | 'qat';
  createdAt: number;
  tensors: Record<string, { shape: number[]; dtype: DType; data: HostArray }>;
  meta: Record<string, unknown>;
}

export async function readCheckpoint(model: Module, kind: ModelCheckpoint['kind'], meta: Record<string, unknown> = {}): Promise<ModelCheckpoint> {
  const entries = [...model.state_dict()];
  const values = await Promise.all(entries.map(([, t]) => t.read()));
  const tensors: ModelCheckpoint['tensors'] = {};
  entries.forEach(([name, t], i) => {
    tensors[name] = { shape: [...t.shape], dtype: t.dtype, data: values[i]!.slice() };
  });
  return { version: 1, kind, createdAt: Date.now(), tensors, meta };
}

export function stateDictOf(checkpoint: ModelCheckpoint): Map<string, HostArray> {
  return new Map(Object.entries(checkpoint.tensors).map(([name, t]) => [name, t.data]));
}

/** An error in the user's code, with its place (the page shows it at file:line:column). */
export class UserCodeError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  constructor(readonly diagnostic: Diagnostic) {
    super(`${diagnostic.file}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.message}`);
    this.name = 'UserCodeError';
    this.file = diagnostic.file;
    this.line = diagnostic.line;
    this.column = diagnostic.column;
  }

  /** Wraps an error thrown while user code ran, unless it is ours (cancellation, a stage's own message). */
  static from(error: unknown, fallbackFile = 'model.ts'): Error {
    const diagnostic = diagnosticFromError(error, fallbackFile);
    return new UserCodeError(diagnostic);
  }
}

export function firstDiagnostic(diagnostics: readonly Diagnostic[]): Error {
  const first = diagnostics[0];
  return first ? new UserCodeError(first) : new Error('The code has errors');
}
