/**
 * `window.qatPlayground`: the automation API for end-to-end tests and embedding pages. It calls the
 * same store actions as the buttons and shortcuts, and reads state as plain JSON.
 */
import type { SourceFile } from '../editor/defaultSources';
import type { StageName } from '../pipeline/types';
import type { AppStore } from './index';
import { assertSourceFile } from './code';
import type { DatasetStatus } from './dataset';
import type { StageState } from './pipeline';
import type { PlaygroundSettings } from './settings';

/** A JSON snapshot of what the page shows. */
export interface PlaygroundSnapshot {
  activeFile: SourceFile;
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
  settings: PlaygroundSettings;
  stages: Record<StageName, { state: StageState; error: string | null }>;
}

export interface QatPlaygroundApi {
  readonly version: 1;
  getSource(file: SourceFile): string;
  setSource(file: SourceFile, text: string): void;
  setSettings(patch: Partial<PlaygroundSettings>): void;
  state(): PlaygroundSnapshot;
}

declare global {
  interface Window {
    qatPlayground?: QatPlaygroundApi;
  }
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
  return {
    activeFile: s.activeFile,
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
    stages: Object.fromEntries(
      Object.entries(s.stages).map(([stage, status]) => [stage, { state: status.state, error: status.error }]),
    ) as PlaygroundSnapshot['stages'],
  };
}

export function createAutomationApi(store: AppStore): QatPlaygroundApi {
  return Object.freeze({
    version: 1 as const,
    getSource(file: SourceFile) {
      assertSourceFile(file);
      return store.getState().files[file];
    },
    setSource(file: SourceFile, text: string) {
      store.getState().setSource(file, text);
    },
    setSettings(patch: Partial<PlaygroundSettings>) {
      store.getState().setSettings(patch);
    },
    state: () => snapshot(store),
  });
}
