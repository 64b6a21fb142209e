/** The dataset the worker holds: loading progress, what it reported, or what went wrong. */
import { CancelledError, type DatasetProgress, type DatasetReport } from '../worker/protocol';
import type { SliceCreator } from './types';

export type DatasetStatus = 'idle' | 'loading' | 'ready' | 'error';

export interface DatasetSlice {
  dataset: {
    status: DatasetStatus;
    progress: DatasetProgress | null;
    report: DatasetReport | null;
    error: string | null;
  };
  loadDataset(): Promise<void>;
}

export const createDatasetSlice: SliceCreator<DatasetSlice> = (services) => (set, get) => ({
  dataset: { status: 'idle', progress: null, report: null, error: null },
  async loadDataset() {
    set({ dataset: { status: 'loading', progress: null, report: get().dataset.report, error: null } });
    try {
      const report = await services.client.request(
        'dataset',
        { baseUrl: services.datasetUrl, samplesPerClass: services.samplesPerClass },
        { onProgress: (progress) => set((state) => ({ dataset: { ...state.dataset, progress } })) },
      );
      set((state) => ({ dataset: { ...state.dataset, status: 'ready', report, error: null } }));
    } catch (error) {
      // A newer load took over; it owns the state now.
      if (error instanceof CancelledError) return;
      const message = error instanceof Error ? error.message : String(error);
      set((state) => ({ dataset: { ...state.dataset, status: 'error', error: message } }));
    }
  },
});
