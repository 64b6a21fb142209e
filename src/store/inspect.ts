/** What the results views ask the worker for on demand: a layer's histogram. */
import { CancelledError, type HistogramParams, type HistogramResult } from '../worker/protocol';
import type { SliceCreator } from './types';

export interface InspectSlice {
  histogram: { params: HistogramParams | null; result: HistogramResult | null; error: string | null; loading: boolean };
  loadHistogram(params: HistogramParams): Promise<HistogramResult | null>;
}

export const createInspectSlice: SliceCreator<InspectSlice> = (services) => (set) => ({
  histogram: { params: null, result: null, error: null, loading: false },
  async loadHistogram(params) {
    set({ histogram: { params, result: null, error: null, loading: true } });
    try {
      const result = await services.client.request('histogram', params);
      set({ histogram: { params, result, error: null, loading: false } });
      return result;
    } catch (error) {
      // A newer request took over and owns the state.
      if (error instanceof CancelledError) return null;
      set({ histogram: { params, result: null, error: error instanceof Error ? error.message : String(error), loading: false } });
      return null;
    }
  },
});
