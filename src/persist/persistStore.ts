/**
 * Keeps the page's state across reloads: the session (files, active file, settings) in localStorage a
 * moment after each change, and each stage's record (result, input key, error) and the code check in
 * IndexedDB when they change. On startup, restoreResults puts them back; a stage that was running when
 * the page went away comes back as failed, saying so, with its previous result.
 */
import type { StageName } from '../pipeline/types';
import type { AppState, AppStore } from '../store';
import type { OkAnalysis } from '../store/analysis';
import { STAGES, type StageRecord, type StageRecords } from '../store/pipeline';
import type { KeyValueStore } from '../worker/artifacts';
import { saveSession, type StorageLike } from './session';

const stageKey = (stage: StageName) => `stage:${stage}`;
const ANALYSIS_KEY = 'analysis';

type SavedRecord = Pick<StageRecord, 'status' | 'error' | 'result' | 'inputKey' | 'startedAt'>;

function saved(record: StageRecord): SavedRecord {
  return { status: record.status, error: record.error, result: record.result, inputKey: record.inputKey, startedAt: record.startedAt };
}

export interface PersistOptions {
  storage: StorageLike;
  results: KeyValueStore;
  /** Milliseconds between an edit and the session write. */
  delayMs?: number;
  onError?: (message: string) => void;
}

export function persistStore(store: AppStore, options: PersistOptions): () => void {
  const delay = options.delayMs ?? 300;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let reported = false;
  const writeSession = () => {
    timer = null;
    const { files, activeFile, settings } = store.getState();
    const problem = saveSession(options.storage, { files, activeFile, settings });
    if (problem && !reported) {
      reported = true;
      options.onError?.(problem);
    }
  };
  const fail = (what: string) => (error: unknown) => options.onError?.(`Could not keep ${what} for the next visit: ${error instanceof Error ? error.message : String(error)}`);

  const unsubscribe = store.subscribe((state: AppState, previous: AppState) => {
    if (state.files !== previous.files || state.activeFile !== previous.activeFile || state.settings !== previous.settings) {
      if (timer) clearTimeout(timer);
      timer = setTimeout(writeSession, delay);
    }
    for (const stage of STAGES) {
      const now = state.stages[stage];
      const before = previous.stages[stage];
      // Progress alone is not worth a write; a start, an end, a result or an error is.
      if (now.status !== before.status || now.result !== before.result || now.error !== before.error) {
        void options.results.set(stageKey(stage), saved(now)).catch(fail(`the ${stage} result`));
      }
    }
    const analysis = state.analysis.lastGood;
    if (analysis && analysis !== previous.analysis.lastGood) {
      void options.results.set(ANALYSIS_KEY, analysis).catch(fail('the code check'));
    }
  });

  const flush = () => {
    if (timer) {
      clearTimeout(timer);
      writeSession();
    }
  };
  globalThis.addEventListener?.('pagehide', flush);
  return () => {
    flush();
    unsubscribe();
    globalThis.removeEventListener?.('pagehide', flush);
  };
}

/** Puts saved stage records and the last good code check back into the store. */
export async function restoreResults(store: AppStore, results: KeyValueStore): Promise<void> {
  const records: Partial<StageRecords> = {};
  for (const stage of STAGES) {
    const record = (await results.get(stageKey(stage))) as SavedRecord | undefined;
    if (!record) continue;
    const interrupted = record.status === 'running';
    (records as Record<StageName, unknown>)[stage] = {
      ...record,
      status: interrupted ? 'failed' : record.status,
      error: interrupted ? 'Interrupted: the page was reloaded or closed while this stage ran' : record.error,
    };
  }
  store.getState().restoreStages(records);
  const analysis = (await results.get(ANALYSIS_KEY)) as { key: string; result: OkAnalysis } | undefined;
  if (analysis?.result?.ok) store.getState().restoreAnalysis(analysis);
}
