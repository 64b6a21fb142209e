import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../dsl/examples';
import { DEFAULT_SOURCES } from '../editor/defaultSources';
import { CancelledError } from '../worker/protocol';
import { WorkerError } from '../worker/client';
import { createAutomationApi } from './automation';
import { connectWorkerEvents, createAppStore } from './index';
import { DEFAULT_GROUPS, effectiveGroup, emptyOverrides } from './settings';
import { ALL_AVAILABLE, fakeServices, report } from './testing';

/** Every stage available but sensitivity (as a build without its backend would be). */
const NO_SENSITIVITY = { ...ALL_AVAILABLE, sensitivity: { available: false as const, reason: 'sensitivity analysis (issue 8) is not in this build yet' } };

const noLink = { shareLink: () => 'http://127.0.0.1/#' };

describe('code slice', () => {
  it('starts with the default files and switches the active one', () => {
    const store = createAppStore(fakeServices({}).services);
    expect(store.getState().files).toEqual(DEFAULT_SOURCES);
    expect(store.getState().files['model.ts']).toContain('new nn.Conv2d(1, 16, 3, { padding: 1 })');
    expect(store.getState().activeFile).toBe('model.ts');
    store.getState().setActiveFile('qconfig.ts');
    expect(store.getState().activeFile).toBe('qconfig.ts');
  });

  it('sets a file, leaving the state object alone when the text is unchanged', () => {
    const store = createAppStore(fakeServices({}).services);
    const files = store.getState().files;
    store.getState().setSource('model.ts', DEFAULT_SOURCES['model.ts']);
    expect(store.getState().files).toBe(files);
    store.getState().setSource('qconfig.ts', '// empty');
    expect(store.getState().files['qconfig.ts']).toBe('// empty');
  });

  it('rejects unknown files and non-string text with a message naming the files', () => {
    const store = createAppStore(fakeServices({}).services);
    expect(() => store.getState().setSource('main.ts' as 'model.ts', 'x')).toThrow(
      `Unknown file "main.ts": the editor has 'model.ts' and 'qconfig.ts'`,
    );
    expect(() => store.getState().setSource('model.ts', 42 as unknown as string)).toThrow('the text must be a string, got number');
  });

  it('loads a gallery example and keeps edited files for one undo', () => {
    const store = createAppStore(fakeServices({}).services);
    const s = store.getState();
    const int16 = EXAMPLES.find((e) => e.id === 'int16')!;
    // Unedited default example: nothing worth an undo.
    s.loadExample('int16');
    expect(store.getState().files).toEqual(int16.files);
    expect(store.getState().undo).toBeNull();
    s.setSource('model.ts', '// my edit');
    s.setActiveFile('qconfig.ts');
    s.loadExample('residual');
    expect(store.getState().files['model.ts']).toBe(EXAMPLES.find((e) => e.id === 'residual')!.files['model.ts']);
    expect(store.getState().activeFile).toBe('model.ts');
    expect(store.getState().undo).toMatchObject({ example: 'residual', files: { 'model.ts': '// my edit' } });
    s.undoExample();
    expect(store.getState().files).toEqual({ 'model.ts': '// my edit', 'qconfig.ts': int16.files['qconfig.ts'] });
    expect(store.getState().undo).toBeNull();
    expect(() => s.loadExample('nope')).toThrow('Unknown example "nope" (examples: reference_cnn, residual, small_model, add_net, freeze_backbone, int16)');
  });
});

describe('gpu slice', () => {
  it('records the adapter the worker opened', async () => {
    const { services, requests } = fakeServices({
      gpu: async () => ({
        available: true,
        adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: '', packedDot: true, software: true, swiftShader: true },
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
  it('keeps overrides by group; effective values are default, then qconfig.ts, then override', () => {
    const store = createAppStore(fakeServices({}).services);
    expect(store.getState().settings).toEqual(emptyOverrides());
    expect(DEFAULT_GROUPS.float).toMatchObject({ lr: 0.05, momentum: 0.9, weightDecay: 4e-5, batchSize: 64, epochs: 3 });
    store.getState().setStageSettings('qat', { trainSubset: 2000, lr: 0.01, schedule: 'multistep', milestones: [1, 2] });
    expect(store.getState().settings).toEqual({
      ...emptyOverrides(),
      data: { trainSubset: 2000 },
      qat: { lr: 0.01, schedule: 'multistep', milestones: [1, 2] },
    });
    expect(effectiveGroup('qat', store.getState().settings, { lr: 0.002, epochs: 2 })).toMatchObject({ lr: 0.01, epochs: 2, momentum: 0.9 });
    store.getState().updateSettings({ qat: { lr: undefined } });
    expect(store.getState().settings.qat).toEqual({ schedule: 'multistep', milestones: [1, 2] });
    store.getState().resetSettings('qat');
    expect(store.getState().settings.qat).toEqual({});
  });

  it('rejects bad values and unknown keys, listing all of them, and changes nothing', () => {
    const store = createAppStore(fakeServices({}).services);
    expect(() =>
      store.getState().setStageSettings('float', { batchSize: 0, lr: -1, optimizer: 'rmsprop', milestones: [3, 2], epoch: 2 } as never),
    ).toThrow(
      "Settings: float has no setting 'epoch' (its settings: trainSubset, testSubset, seed, epochs, batchSize, lr, momentum, weightDecay, optimizer, schedule, stepSize, gamma, milestones, warmupEpochs); batchSize must be an integer ≥ 1, got 0; lr must be a number > 0, got -1; optimizer must be one of 'sgd', 'adam', 'adamw', got \"rmsprop\"; milestones must be increasing positive integers, got [3,2]",
    );
    expect(() => store.getState().setStageSettings('validation', { lr: 0.1 })).toThrow("validation has no setting 'lr' (its settings: trainSubset, testSubset, seed)");
    expect(() => store.getState().updateSettings({ qat: { lrate: 1 } } as never)).toThrow("unknown qat setting 'lrate'");
    expect(store.getState().settings).toEqual(emptyOverrides());
  });
});

describe('window.qatPlayground', () => {
  it('gets and sets sources and settings through the store actions and reports a JSON snapshot', async () => {
    const store = createAppStore(fakeServices({ dataset: async () => report }, NO_SENSITIVITY).services);
    const api = createAutomationApi(store, { shareLink: () => 'http://127.0.0.1/#s1=x' });
    api.setSource('qconfig.ts', 'export const qat_qconfig_setter = [];');
    expect(store.getState().files['qconfig.ts']).toBe('export const qat_qconfig_setter = [];');
    expect(api.getSource('model.ts')).toBe(DEFAULT_SOURCES['model.ts']);
    expect(() => api.getSource('x.ts' as 'model.ts')).toThrow('Unknown file "x.ts"');
    api.setSettings({ trainSubset: 512, testSubset: 256 });
    api.setSettings({ epochs: 1, lr: 0.002 }, 'qat');
    api.setSettings({ calibration: { calibrationBatches: 4 } });
    expect(() => api.setSettings({ epochs: 1 })).toThrow("setSettings: 'epochs' belong to a stage: pass it, e.g. setSettings(patch, 'qat')");
    expect(store.getState().settings).toMatchObject({ data: { trainSubset: 512, testSubset: 256 }, qat: { epochs: 1, lr: 0.002 }, calibration: { calibrationBatches: 4 } });
    await store.getState().loadDataset();
    const state = api.state();
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    expect(state).toMatchObject({
      activeFile: 'model.ts',
      example: null,
      gpu: { status: 'pending' },
      dataset: { status: 'ready', train: 60000, test: 10000, samples: 4, error: null },
      code: { status: 'idle', current: false, diagnostics: [] },
      stages: { float: { state: 'idle', error: null, accuracy: null }, sensitivity: { state: 'unavailable' } },
    });
    expect(api.shareLink()).toBe('http://127.0.0.1/#s1=x');
    expect(api.examples().map((e) => e.id)).toContain('add_net');
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('rejects run() of an unknown or unavailable stage with the reason', async () => {
    const store = createAppStore(fakeServices({}, NO_SENSITIVITY).services);
    const api = createAutomationApi(store, noLink);
    await expect(api.run('bake' as 'float')).rejects.toThrow('Unknown stage "bake" (stages: float, calibration, validation, qat, convert, fixed, check, compile, sensitivity)');
    await expect(api.run('sensitivity')).rejects.toThrow('Sensitivity is not available: sensitivity analysis (issue 8) is not in this build yet');
  });
});

describe('QAT defaults on the page', () => {
  it('are what the QAT stage derives from the default float recipe (Horizon)', async () => {
    const { qatDefaults } = await import('../pipeline/qat');
    const { DEFAULT_DATA, DEFAULT_FLOAT, DEFAULT_QAT } = await import('./settings');
    const derived = qatDefaults({ ...DEFAULT_DATA, ...DEFAULT_FLOAT });
    for (const [key, value] of Object.entries(DEFAULT_QAT)) expect(derived[key as keyof typeof derived], key).toEqual(value);
    expect(effectiveGroup('qat', { ...emptyOverrides(), qat: { epochs: 3 } }).stepSize).toBe(1);
    expect(effectiveGroup('qat', { ...emptyOverrides(), qat: { epochs: 3, stepSize: 2 } }).stepSize).toBe(2);
  });
});
