/** What the worker found about WebGPU. */
import { CancelledError, type GpuReport } from '../worker/protocol';
import type { SliceCreator } from './types';

export type GpuState =
  | { status: 'pending' }
  | ({ status: 'ready' } & Extract<GpuReport, { available: true }>)
  | { status: 'unavailable'; reason: string }
  | { status: 'lost'; message: string }
  | { status: 'error'; message: string };

export interface GpuSlice {
  gpu: GpuState;
  detectGpu(): Promise<void>;
  gpuLost(message: string): void;
}

export const createGpuSlice: SliceCreator<GpuSlice> = (services) => (set) => ({
  gpu: { status: 'pending' },
  async detectGpu() {
    set({ gpu: { status: 'pending' } });
    try {
      const report = await services.client.request('gpu', {});
      set({ gpu: report.available ? { status: 'ready', ...report } : { status: 'unavailable', reason: report.reason } });
    } catch (error) {
      if (error instanceof CancelledError) return;
      set({ gpu: { status: 'error', message: error instanceof Error ? error.message : String(error) } });
    }
  },
  gpuLost(message) {
    set({ gpu: { status: 'lost', message } });
  },
});
