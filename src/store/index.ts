import { createStore, type StoreApi } from 'zustand/vanilla';
import { createAnalysisSlice } from './analysis';
import { createCodeSlice } from './code';
import { createDatasetSlice } from './dataset';
import { createGpuSlice } from './gpu';
import { createInspectSlice } from './inspect';
import { createNoticesSlice } from './notices';
import { createPipelineSlice } from './pipeline';
import { createSettingsSlice } from './settings';
import type { AppServices, AppState } from './types';

export type { AppServices, AppState } from './types';
export type AppStore = StoreApi<AppState>;

export function createAppStore(services: AppServices): AppStore {
  return createStore<AppState>()((...a) => ({
    ...createCodeSlice(services)(...a),
    ...createGpuSlice(services)(...a),
    ...createDatasetSlice(services)(...a),
    ...createSettingsSlice(services)(...a),
    ...createAnalysisSlice(services)(...a),
    ...createPipelineSlice(services)(...a),
    ...createNoticesSlice(services)(...a),
    ...createInspectSlice(services)(...a),
  }));
}

/** Connects worker events to the store; returns the unsubscribe. */
export function connectWorkerEvents(store: AppStore, client: AppServices['client']): () => void {
  return client.onEvent((event) => {
    switch (event.kind) {
      case 'deviceLost':
        store.getState().gpuLost(event.message);
        break;
      case 'warning':
        console.warn(`worker: ${event.message}`);
        break;
      default: {
        const unknown: never = event;
        throw new Error(`unknown worker event ${JSON.stringify(unknown)}`);
      }
    }
  });
}
