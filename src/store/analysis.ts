/**
 * The code check: the worker evaluates model.ts and qconfig.ts, traces, fuses and prepares the model.
 * It runs on "Check code" and before every stage, never by itself (code from a share link does not run
 * until a person asks). Diagnostics become editor markers; the last good graph and check tables stay
 * on screen when the code has errors.
 */
import type { Diagnostic } from '../dsl/index';
import { CancelledError, type AnalysisResult } from '../worker/protocol';
import { filesKey } from './stageGraph';
import type { SliceCreator } from './types';

export type OkAnalysis = Extract<AnalysisResult, { ok: true }>;

export interface AnalysisState {
  status: 'idle' | 'running' | 'ok' | 'failed';
  /** filesKey of the files the latest check ran on. */
  key: string | null;
  result: AnalysisResult | null;
  /** The latest check that succeeded (kept while the code has errors). */
  lastGood: { key: string; result: OkAnalysis } | null;
  diagnostics: Diagnostic[];
  /** A failure of the check itself (the worker stopped), not of the user's code. */
  error: string | null;
}

export interface AnalysisSlice {
  analysis: AnalysisState;
  /** Checks the current files (reusing the result when they have not changed). */
  checkCode(options?: { force?: boolean }): Promise<AnalysisResult>;
  restoreAnalysis(saved: { key: string; result: OkAnalysis }): void;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.message}`;
}

/** The current files' check, if it ran on exactly these files. */
export function currentAnalysis(state: { analysis: AnalysisState; files: Parameters<typeof filesKey>[0] }): AnalysisResult | null {
  return state.analysis.key === filesKey(state.files) ? state.analysis.result : null;
}

export const createAnalysisSlice: SliceCreator<AnalysisSlice> = (services) => (set, get) => ({
  analysis: { status: 'idle', key: null, result: null, lastGood: null, diagnostics: [], error: null },
  async checkCode(options = {}) {
    const files = get().files;
    const key = filesKey(files);
    const existing = get().analysis;
    if (!options.force && existing.key === key && existing.result && existing.status !== 'running') return existing.result;
    set((state) => ({ analysis: { ...state.analysis, status: 'running', error: null } }));
    let result: AnalysisResult;
    try {
      result = await services.client.request('analyze', { files: { ...files } });
    } catch (error) {
      if (error instanceof CancelledError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      set((state) => ({ analysis: { ...state.analysis, status: 'failed', error: `The code check failed: ${message}` } }));
      throw new Error(`The code check failed: ${message}`);
    }
    set((state) => ({
      analysis: {
        status: result.ok ? 'ok' : 'failed',
        key,
        result,
        lastGood: result.ok ? { key, result } : state.analysis.lastGood,
        diagnostics: result.ok ? [] : result.diagnostics,
        error: null,
      },
    }));
    return result;
  },
  restoreAnalysis(saved) {
    set((state) => ({
      analysis: state.analysis.result ? state.analysis : { ...state.analysis, status: 'ok', key: saved.key, result: saved.result, lastGood: saved },
    }));
  },
});
