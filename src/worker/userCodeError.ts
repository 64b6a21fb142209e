/** Errors raised while a stage runs user code, located in the user's file (file:line:column). */
import { diagnosticFromError, type Diagnostic } from '../dsl/index';

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
