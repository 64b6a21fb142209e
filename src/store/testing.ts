/** Fakes for the store's unit tests: a scripted worker client and a dataset report. */
import type { StageName } from '../pipeline/types';
import type { Availability } from '../worker/availability';
import type { DatasetReport, OperationName, ParamsOf, ProgressOf, ResultOf, WorkerEvent } from '../worker/protocol';
import { STAGES } from './stageGraph';
import type { AppServices } from './types';

export type Script = {
  [K in OperationName]?: (params: ParamsOf<K>, onProgress: (p: ProgressOf<K>) => void) => Promise<ResultOf<K>>;
};

export const ALL_AVAILABLE = Object.fromEntries(STAGES.map((s) => [s, { available: true }])) as Record<StageName, Availability>;

export function fakeServices(script: Script, availability?: Record<StageName, Availability>) {
  const requests: { op: OperationName; params: unknown }[] = [];
  const listeners = new Set<(event: WorkerEvent) => void>();
  const cancelled: string[] = [];
  const client: AppServices['client'] = {
    request(op, params, options = {}) {
      requests.push({ op, params });
      const handler = script[op] as ((p: unknown, progress: (p: unknown) => void) => Promise<never>) | undefined;
      if (!handler) return Promise.reject(new Error(`no scripted answer for ${op}`));
      return handler(params, (p) => options.onProgress?.(p as never));
    },
    cancelLane: (lane) => {
      cancelled.push(lane);
      return true;
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const services: AppServices = {
    client,
    datasetUrl: 'http://127.0.0.1/datasets/fashion-mnist/',
    samplesPerClass: 2,
    ...(availability ? { availability } : {}),
  };
  return { services, requests, cancelled, emit: (event: WorkerEvent) => listeners.forEach((l) => l(event)) };
}

export const report: DatasetReport = {
  name: 'Fashion-MNIST',
  classes: ['T-shirt/top', 'Trouser'],
  train: { count: 60000, height: 28, width: 28 },
  test: { count: 10000, height: 28, width: 28 },
  pixelMean: 0.286,
  pixelStd: 0.353,
  normalization: { mean: 0.286, std: 0.353 },
  samples: { height: 28, width: 28, pixels: new Uint8Array(4 * 784), labels: [0, 1, 0, 1] },
  fromCache: false,
  compressedBytes: 30_878_551,
  seconds: 1.5,
};
