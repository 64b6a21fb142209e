/**
 * `window.qatPlayground`: the automation API for end-to-end tests and embedding pages. It calls the
 * same store actions as the buttons and shortcuts, and reads state as plain JSON.
 */
import { EXAMPLES } from '../dsl/examples';
import type { Diagnostic } from '../dsl/index';
import type { SourceFile } from '../editor/defaultSources';
import type { StageName } from '../pipeline/types';
import type { StageResults } from '../worker/results';
import { assertSourceFile, matchingExample } from './code';
import type { DatasetStatus } from './dataset';
import type { AppStore } from './index';
import { STAGES, stageView, type StageState } from './pipeline';
import { groupFlatSettings, validateOverrides, type FlatSettings, type SettingsOverrides } from './settings';
import { currentAnalysis } from './analysis';

export interface StageSnapshot {
  state: StageState;
  error: string | null;
  runId: string | null;
  /** 0..1 while running. */
  fraction: number | null;
  /** Test accuracy 0..1 of the last result, for stages that evaluate. */
  accuracy: number | null;
  imagesPerSecond: number | null;
}

/** A JSON snapshot of what the page shows. */
export interface PlaygroundSnapshot {
  activeFile: SourceFile;
  /** The gallery example the files equal, or null when edited. */
  example: string | null;
  canUndoExample: boolean;
  gpu:
    | { status: 'pending' }
    | { status: 'ready'; vendor: string; architecture: string; description: string; software: boolean; packedDot: boolean }
    | { status: 'unavailable'; reason: string }
    | { status: 'lost' | 'error'; message: string };
  dataset: {
    status: DatasetStatus;
    loadedBytes: number;
    totalBytes: number;
    train: number;
    test: number;
    samples: number;
    fromCache: boolean;
    error: string | null;
  };
  /** The page's setting overrides by group (defaults and qconfig.ts values are not listed). */
  settings: SettingsOverrides;
  code: {
    /** 'current' when the check ran on these exact files. */
    status: 'idle' | 'running' | 'ok' | 'failed';
    current: boolean;
    diagnostics: Diagnostic[];
  };
  stages: Record<StageName, StageSnapshot>;
  notices: { kind: string; text: string }[];
}

export interface QatPlaygroundApi {
  readonly version: 1;
  getSource(file: SourceFile): string;
  setSource(file: SourceFile, text: string): void;
  /**
   * Sets overrides from a flat object. Data keys (trainSubset, testSubset, seed) are shared; any other key
   * needs the stage it belongs to: `setSettings({ epochs: 1 }, 'qat')`. A grouped object
   * (`{ qat: { epochs: 1 } }`) works too.
   */
  setSettings(patch: FlatSettings | Partial<SettingsOverrides>, stage?: StageName): void;
  /** Runs one stage; resolves to its result, rejects with an Error saying what went wrong. */
  run<K extends StageName>(stage: K, settings?: FlatSettings): Promise<StageResults[K]>;
  /** Runs every stage up to `stage` whose result is not current. */
  runPipeline(stage: StageName): Promise<void>;
  /** Cancels the running stage; false when none runs. */
  cancel(): boolean;
  /** Evaluates, traces and prepares the code; resolves to its diagnostics (empty when it is fine). */
  checkCode(): Promise<Diagnostic[]>;
  loadExample(id: string): void;
  examples(): { id: string; title: string }[];
  state(): PlaygroundSnapshot;
  /** A link holding both files and every setting override. */
  shareLink(): string;
}

declare global {
  interface Window {
    qatPlayground?: QatPlaygroundApi;
  }
}

function numberField(result: unknown, key: string): number | null {
  const value = result && typeof result === 'object' ? (result as Record<string, unknown>)[key] : undefined;
  return typeof value === 'number' ? value : null;
}

export function snapshot(store: AppStore): PlaygroundSnapshot {
  const s = store.getState();
  const { gpu, dataset } = s;
  let gpuSnapshot: PlaygroundSnapshot['gpu'];
  switch (gpu.status) {
    case 'ready': {
      const { vendor, architecture, description, software, packedDot } = gpu.adapter;
      gpuSnapshot = { status: 'ready', vendor, architecture, description, software, packedDot };
      break;
    }
    case 'pending':
      gpuSnapshot = { status: 'pending' };
      break;
    case 'unavailable':
      gpuSnapshot = { status: 'unavailable', reason: gpu.reason };
      break;
    case 'lost':
    case 'error':
      gpuSnapshot = { status: gpu.status, message: gpu.message };
      break;
    default: {
      const unknown: never = gpu;
      throw new Error(`unknown GPU state ${JSON.stringify(unknown)}`);
    }
  }
  const stages = {} as Record<StageName, StageSnapshot>;
  for (const stage of STAGES) {
    const record = s.stages[stage];
    stages[stage] = {
      state: stageView(s, stage),
      error: record.error,
      runId: record.result?.runId ?? null,
      fraction: record.status === 'running' ? (record.progress?.fraction ?? 0) : null,
      accuracy: numberField(record.result, 'accuracy'),
      imagesPerSecond: numberField(record.result, 'imagesPerSecond'),
    };
  }
  return {
    activeFile: s.activeFile,
    example: matchingExample(s.files),
    canUndoExample: s.undo !== null,
    gpu: gpuSnapshot,
    dataset: {
      status: dataset.status,
      loadedBytes: dataset.progress?.loaded ?? 0,
      totalBytes: dataset.progress?.total ?? 0,
      train: dataset.report?.train.count ?? 0,
      test: dataset.report?.test.count ?? 0,
      samples: dataset.report?.samples.labels.length ?? 0,
      fromCache: dataset.report?.fromCache ?? false,
      error: dataset.error,
    },
    settings: structuredClone(s.settings),
    code: {
      status: s.analysis.status,
      current: currentAnalysis(s) !== null,
      diagnostics: structuredClone(s.analysis.diagnostics),
    },
    stages,
    notices: s.notices.map((n) => ({ kind: n.kind, text: n.text })),
  };
}

const GROUP_NAMES = new Set(['data', 'float', 'calibration', 'qat', 'convert', 'check']);

export function createAutomationApi(store: AppStore, options: { shareLink: () => string }): QatPlaygroundApi {
  return Object.freeze({
    version: 1 as const,
    getSource(file: SourceFile) {
      assertSourceFile(file);
      return store.getState().files[file];
    },
    setSource(file: SourceFile, text: string) {
      store.getState().setSource(file, text);
    },
    setSettings(patch: FlatSettings | Partial<SettingsOverrides>, stage?: StageName) {
      if (!patch || typeof patch !== 'object') throw new Error(`setSettings: expected an object, got ${JSON.stringify(patch)}`);
      const keys = Object.keys(patch);
      if (keys.length > 0 && keys.every((k) => GROUP_NAMES.has(k))) {
        store.getState().updateSettings(validateOverrides(patch));
        return;
      }
      if (stage !== undefined && !STAGES.includes(stage)) throw new Error(`setSettings: unknown stage ${JSON.stringify(stage)} (stages: ${STAGES.join(', ')})`);
      if (stage === undefined) {
        const notData = keys.filter((k) => !['trainSubset', 'testSubset', 'seed'].includes(k));
        if (notData.length) {
          throw new Error(`setSettings: ${notData.map((k) => `'${k}'`).join(', ')} belong to a stage: pass it, e.g. setSettings(patch, 'qat')`);
        }
      }
      store.getState().updateSettings(groupFlatSettings(stage ?? 'float', patch));
    },
    run<K extends StageName>(stage: K, settings?: FlatSettings) {
      return store.getState().runStage(stage, settings);
    },
    runPipeline(stage: StageName) {
      return store.getState().runPipeline(stage);
    },
    cancel: () => store.getState().cancelStage(),
    async checkCode() {
      const result = await store.getState().checkCode();
      return result.ok ? [] : structuredClone(result.diagnostics);
    },
    loadExample(id: string) {
      store.getState().loadExample(id);
    },
    examples: () => EXAMPLES.map((e) => ({ id: e.id, title: e.title })),
    state: () => snapshot(store),
    shareLink: () => options.shareLink(),
  });
}
