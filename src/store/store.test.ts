import { describe, expect, it } from 'vitest';
import { DEFAULT_SOURCES } from '../editor/defaultSources';
import {
  CancelledError,
  type DatasetReport,
  type OperationName,
  type ParamsOf,
  type ProgressOf,
  type ResultOf,
  type WorkerEvent,
} from '../worker/protocol';
import { WorkerError } from '../worker/client';
import { createAutomationApi } from './automation';
import { connectWorkerEvents, createAppStore } from './index';
import { DEFAULT_SETTINGS } from './settings';
import type { AppServices } from './types';

type Script = {
  [K in OperationName]?: (params: ParamsOf<K>, onProgress: (p: ProgressOf<K>) => void) => Promise<ResultOf<K>>;
};

function fakeServices(script: Script) {
  const requests: { op: OperationName; params: unknown }[] = [];
  const listeners = new Set<(event: WorkerEvent) => void>();
  const client: AppServices['client'] = {
    request(op, params, options = {}) {
      requests.push({ op, params });
      const handler = script[op] as ((p: unknown, progress: (p: unknown) => void) => Promise<never>) | undefined;
      if (!handler) return Promise.reject(new Error(`no scripted answer for ${op}`));
      return handler(params, (p) => options.onProgress?.(p as never));
    },
    cancelLane: () => false,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const services: AppServices = { client, datasetUrl: 'http://127.0.0.1/datasets/fashion-mnist/', samplesPerClass: 2 };
  return { services, requests, emit: (event: WorkerEvent) => listeners.forEach((l) => l(event)) };
}

const report: DatasetReport = {
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

describe('code slice', () => {
  it('starts with the default files and switches the active one', () => {
    const store = createAppStore(fakeServices({}).services);
    expect(store.getState().files).toEqual(DEFAULT_SOURCES);
    expect(store.getState().files['model.ts']).toContain('new nn.Conv2d(1, 16, 3, { padding: 1 })');
    expect(store.getState().activeFile).toBe('model.ts');
    store.getState().setActiveFile('qconfig.ts');
    expect(store.getState().activeFile).toBe('qconfig.ts');
  });

  it('sets a file and marks finished stages stale, but not when the text is unchanged', () => {
    const store = createAppStore(fakeServices({}).services);
    const s = store.getState();
    s.stageStarted('float');
    s.stageFinished('float');
    s.setSource('model.ts', DEFAULT_SOURCES['model.ts']);
    expect(store.getState().stages.float.state).toBe('done');
    s.setSource('qconfig.ts', '// empty');
    expect(store.getState().files['qconfig.ts']).toBe('// empty');
    expect(store.getState().stages.float.state).toBe('stale');
    expect(store.getState().stages.qat.state).toBe('idle');
  });

  it('rejects unknown files and non-string text with a message naming the files', () => {
    const store = createAppStore(fakeServices({}).services);
    expect(() => store.getState().setSource('main.ts' as 'model.ts', 'x')).toThrow(
      `Unknown file "main.ts": the editor has 'model.ts' and 'qconfig.ts'`,
    );
    expect(() => store.getState().setSource('model.ts', 42 as unknown as string)).toThrow('the text must be a string, got number');
  });
});

describe('gpu slice', () => {
  it('records the adapter the worker opened', async () => {
    const { services, requests } = fakeServices({
      gpu: async () => ({
        available: true,
        adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: '', packedDot: true, software: true },
        limits: { maxBufferSize: 1 << 30 },
        features: [],
      }),
    });
    const store = createAppStore(services);
    expect(store.getState().gpu.status).toBe('pending');
    await store.getState().detectGpu();
    expect(requests).toEqual([{ op: 'gpu', params: {} }]);
    expect(store.getState().gpu).toMatchObject({ status: 'ready', adapter: { vendor: 'google', architecture: 'swiftshader' } });
  });

  it('keeps the reason when there is no WebGPU, and the message of a failure', async () => {
    const none = createAppStore(fakeServices({ gpu: async () => ({ available: false, reason: 'no adapter' }) }).services);
    await none.getState().detectGpu();
    expect(none.getState().gpu).toEqual({ status: 'unavailable', reason: 'no adapter' });
    const broken = createAppStore(
      fakeServices({
        gpu: async () => {
          throw new WorkerError('gpu', { name: 'OperationError', message: 'requestDevice failed' });
        },
      }).services,
    );
    await broken.getState().detectGpu();
    expect(broken.getState().gpu).toEqual({ status: 'error', message: 'requestDevice failed' });
  });

  it('hears about a lost device through worker events', () => {
    const { services, emit } = fakeServices({});
    const store = createAppStore(services);
    const off = connectWorkerEvents(store, services.client);
    emit({ kind: 'deviceLost', message: 'destroyed: the device was lost' });
    expect(store.getState().gpu).toEqual({ status: 'lost', message: 'destroyed: the device was lost' });
    off();
  });
});

describe('dataset slice', () => {
  it('asks the worker for the dataset at the absolute URL, tracks progress, then the report', async () => {
    const seen: number[] = [];
    let release = () => {};
    const { services, requests } = fakeServices({
      dataset: async (_, progress) => {
        progress({ file: 't10k-labels-idx1-ubyte.gz', loaded: 10, total: 100, fromCache: false });
        await new Promise<void>((resolve) => (release = resolve));
        return report;
      },
    });
    const store = createAppStore(services);
    store.subscribe((state) => state.dataset.progress && seen.push(state.dataset.progress.loaded));
    const done = store.getState().loadDataset();
    expect(store.getState().dataset.status).toBe('loading');
    expect(store.getState().dataset.progress).toMatchObject({ loaded: 10, total: 100 });
    release();
    await done;
    expect(requests).toEqual([{ op: 'dataset', params: { baseUrl: 'http://127.0.0.1/datasets/fashion-mnist/', samplesPerClass: 2 } }]);
    expect(store.getState().dataset).toMatchObject({ status: 'ready', error: null, report: { train: { count: 60000 } } });
    expect(seen[0]).toBe(10);
  });

  it('shows the error message of a failed load', async () => {
    const store = createAppStore(
      fakeServices({
        dataset: async () => {
          throw new WorkerError('dataset', { name: 'DatasetFileError', message: 'train-images-idx3-ubyte.gz: HTTP 404 Not Found' });
        },
      }).services,
    );
    await store.getState().loadDataset();
    expect(store.getState().dataset).toMatchObject({ status: 'error', error: 'train-images-idx3-ubyte.gz: HTTP 404 Not Found' });
  });

  it('leaves the state to the newer load when a load is superseded', async () => {
    const store = createAppStore(
      fakeServices({
        dataset: async () => {
          throw new CancelledError('dataset', 'superseded');
        },
      }).services,
    );
    await store.getState().loadDataset();
    expect(store.getState().dataset.status).toBe('loading');
    expect(store.getState().dataset.error).toBeNull();
  });
});

describe('settings slice', () => {
  it('starts from the float recipe and applies valid changes', () => {
    const store = createAppStore(fakeServices({}).services);
    expect(store.getState().settings).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS).toMatchObject({ lr: 0.05, momentum: 0.9, weightDecay: 4e-5, batchSize: 64, epochs: 3 });
    store.getState().setSettings({ trainSubset: 2000, lr: 0.01, schedule: 'multistep', milestones: [1, 2] });
    expect(store.getState().settings).toMatchObject({ trainSubset: 2000, lr: 0.01, schedule: 'multistep', milestones: [1, 2], epochs: 3 });
  });

  it('rejects bad values and unknown keys, listing all of them, and changes nothing', () => {
    const store = createAppStore(fakeServices({}).services);
    expect(() =>
      store.getState().setSettings({ batchSize: 0, lr: -1, optimizer: 'rmsprop', milestones: [3, 2], epoch: 2 } as never),
    ).toThrow(
      "Settings: batchSize must be an integer ≥ 1, got 0; lr must be a number > 0, got -1; optimizer must be one of 'sgd', 'adam', 'adamw', got \"rmsprop\"; milestones must be increasing positive integers, got [3,2]; unknown setting 'epoch'",
    );
    expect(store.getState().settings).toEqual(DEFAULT_SETTINGS);
  });
});

describe('pipeline slice', () => {
  it('moves a stage through running, progress, done and failed', () => {
    const store = createAppStore(fakeServices({}).services);
    const s = store.getState();
    s.stageProgress({ stage: 'qat', fraction: 0.5 });
    expect(store.getState().stages.qat.progress).toBeNull();
    s.stageStarted('qat');
    s.stageProgress({ stage: 'qat', fraction: 0.5, loss: 0.4 });
    expect(store.getState().stages.qat).toEqual({ state: 'running', progress: { stage: 'qat', fraction: 0.5, loss: 0.4 }, error: null });
    s.stageFailed('qat', 'qat: loss is NaN at step 12 (first non-finite output: conv2)');
    expect(store.getState().stages.qat).toMatchObject({ state: 'failed', error: 'qat: loss is NaN at step 12 (first non-finite output: conv2)' });
    s.stageStarted('qat');
    s.stageFinished('qat');
    expect(store.getState().stages.qat).toMatchObject({ state: 'done', error: null });
    s.setSettings({ epochs: 1 });
    expect(store.getState().stages.qat.state).toBe('stale');
  });
});

describe('window.qatPlayground', () => {
  it('gets and sets sources through the store actions and reports a JSON snapshot', async () => {
    const store = createAppStore(fakeServices({ dataset: async () => report }).services);
    const api = createAutomationApi(store);
    api.setSource('qconfig.ts', 'export const qat_qconfig_setter = [];');
    expect(store.getState().files['qconfig.ts']).toBe('export const qat_qconfig_setter = [];');
    expect(api.getSource('model.ts')).toBe(DEFAULT_SOURCES['model.ts']);
    expect(() => api.getSource('x.ts' as 'model.ts')).toThrow('Unknown file "x.ts"');
    await store.getState().loadDataset();
    const state = api.state();
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    expect(state).toMatchObject({
      activeFile: 'model.ts',
      gpu: { status: 'pending' },
      dataset: { status: 'ready', train: 60000, test: 10000, samples: 4, error: null },
      stages: { float: { state: 'idle', error: null } },
    });
    expect(Object.isFrozen(api)).toBe(true);
  });
});
