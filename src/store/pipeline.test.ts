import { describe, expect, it } from 'vitest';
import type { StageName } from '../pipeline/types';
import { analyzeSources } from '../worker/analyze';
import { CancelledError, type StageRequest, type StageResults, type TrainStageResult } from '../worker/protocol';
import { createAppStore } from './index';
import { stageView } from './pipeline';
import { ALL_AVAILABLE, fakeServices, report, type Script } from './testing';

function trainResult(request: StageRequest, accuracy: number): TrainStageResult {
  return {
    runId: request.runId,
    seconds: 1,
    settings: {},
    accuracy,
    test: { accuracy, loss: 0.5, count: 256 },
    imagesPerSecond: 500,
    epochs: 1,
    steps: 8,
    finalLoss: 0.5,
    history: [],
    modelBytes: 82_344,
  };
}

const calibrationResult = (request: StageRequest): StageResults['calibration'] => ({
  runId: request.runId,
  seconds: 1,
  settings: {},
  batches: 4,
  images: 256,
  imagesPerSecond: 900,
  layers: [],
  modelBytes: 20_000,
  warnings: [],
});

async function ready(script: Script, availability = ALL_AVAILABLE) {
  const fake = fakeServices(
    {
      gpu: async () => ({
        available: true,
        adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: '', packedDot: true, software: true, swiftShader: true },
        limits: {},
        features: [],
      }),
      dataset: async () => report,
      analyze: async (p) => analyzeSources(p.files),
      ...script,
    },
    availability,
  );
  const store = createAppStore(fake.services);
  await store.getState().detectGpu();
  await store.getState().loadDataset();
  return { store, ...fake };
}

const view = (store: Awaited<ReturnType<typeof ready>>['store'], stage: StageName) => stageView(store.getState(), stage);

describe('running stages', () => {
  it('checks the code, runs the stage with the code, settings and run id, and keeps the result', async () => {
    const seen: StageRequest[] = [];
    const { store, requests } = await ready({
      float: async (request, progress) => {
        seen.push(request);
        progress({ stage: 'float', fraction: 0.5, step: 4, epoch: 0, loss: 1.2, accuracy: 0.4, lr: 0.05, imagesPerSecond: 480, etaSeconds: 1 });
        expect(store.getState().stages.float.live).toEqual([{ step: 4, epoch: 0, loss: 1.2, accuracy: 0.4, lr: 0.05 }]);
        expect(view(store, 'float')).toBe('running');
        return trainResult(request, 0.71);
      },
    });
    const result = await store.getState().runStage('float', { trainSubset: 512, testSubset: 256, epochs: 1 });
    expect(result.accuracy).toBe(0.71);
    expect(requests.map((r) => r.op)).toEqual(['gpu', 'dataset', 'analyze', 'float']);
    expect(seen[0]).toMatchObject({
      files: store.getState().files,
      settings: { data: { trainSubset: 512, testSubset: 256 }, float: { epochs: 1 } },
      inputs: {},
    });
    expect(seen[0]!.runId).toMatch(/^float-/);
    expect(store.getState().stages.float).toMatchObject({ status: 'done', error: null, live: [], result: { runId: seen[0]!.runId } });
    expect(view(store, 'float')).toBe('done');
  });

  it('marks a result stale when its inputs change, and current again when they change back', async () => {
    const { store } = await ready({ float: async (request) => trainResult(request, 0.7) });
    await store.getState().runStage('float');
    const model = store.getState().files['model.ts'];
    store.getState().setSource('model.ts', `${model}\n// an edit`);
    expect(view(store, 'float')).toBe('stale');
    store.getState().setSource('model.ts', model);
    expect(view(store, 'float')).toBe('done');
    store.getState().setStageSettings('float', { lr: 0.01 });
    expect(view(store, 'float')).toBe('stale');
    store.getState().updateSettings({ float: { lr: undefined } });
    expect(view(store, 'float')).toBe('done');
  });

  it('keeps float current when only the quantization part of qconfig.ts changes (once the code is checked)', async () => {
    const { store } = await ready({ float: async (request) => trainResult(request, 0.7) });
    await store.getState().runStage('float');
    const qconfig = store.getState().files['qconfig.ts'];
    store.getState().setSource('qconfig.ts', qconfig.replace('epochs: 1,\n    lr: 0.001', 'epochs: 2,\n    lr: 0.001'));
    // Not checked yet: any qconfig.ts edit may touch the float settings.
    expect(view(store, 'float')).toBe('stale');
    await store.getState().checkCode();
    expect(view(store, 'float')).toBe('done');
    store.getState().setSource('qconfig.ts', qconfig.replace('epochs: 3, batchSize: 64', 'epochs: 4, batchSize: 64'));
    await store.getState().checkCode();
    expect(view(store, 'float')).toBe('stale');
  });

  it('refuses a stage whose input is not current, naming it', async () => {
    const { store } = await ready({ float: async (request) => trainResult(request, 0.7), calibration: async (r) => calibrationResult(r) });
    await expect(store.getState().runStage('calibration')).rejects.toThrow('calibration needs a current float result, and float has not run: run float first');
    expect(view(store, 'calibration')).toBe('idle');
    await store.getState().runStage('float');
    await store.getState().runStage('calibration');
    expect(view(store, 'calibration')).toBe('done');
    // Retraining float leaves calibration built on the old weights: stale.
    await store.getState().runStage('float');
    expect(view(store, 'calibration')).toBe('stale');
    store.getState().setSource('model.ts', '// no model');
    await expect(store.getState().runStage('qat')).rejects.toThrow(/The code has an error: model\.ts:1:1: .*default export/);
  });

  it('shows code errors with their location and keeps the previous result', async () => {
    const { store } = await ready({ float: async (request) => trainResult(request, 0.7) });
    await store.getState().runStage('float');
    const model = store.getState().files['model.ts'];
    store.getState().setSource('model.ts', model.replace('x = torch.flatten(x, 1);', 'x = torch.flatten(x, 1;'));
    await expect(store.getState().runStage('float')).rejects.toThrow(/^The code has an error: model\.ts:\d+:\d+: /);
    const s = store.getState();
    expect(s.stages.float.status).toBe('failed');
    expect(s.stages.float.result?.accuracy).toBe(0.7);
    expect(s.analysis.diagnostics[0]).toMatchObject({ file: 'model.ts', severity: 'error' });
    expect(s.analysis.lastGood?.result.ok).toBe(true);
  });

  it('goes back to the previous result when cancelled, and reports a failure', async () => {
    let attempt = 0;
    const { store, cancelled } = await ready({
      float: async (request) => {
        attempt++;
        if (attempt === 2) throw new CancelledError('float', 'cancelled');
        if (attempt === 3) throw new Error('float: loss is NaN at step 3 (first non-finite output: conv2)');
        return trainResult(request, 0.7);
      },
    });
    await store.getState().runStage('float');
    await expect(store.getState().runStage('float')).rejects.toThrow('float: cancelled');
    expect(store.getState().stages.float).toMatchObject({ status: 'done', error: 'cancelled', result: { accuracy: 0.7 } });
    await expect(store.getState().runStage('float')).rejects.toThrow('loss is NaN at step 3');
    expect(view(store, 'float')).toBe('failed');
    expect(store.getState().stages.float.result?.accuracy).toBe(0.7);
    expect(store.getState().cancelStage()).toBe(true);
    expect(cancelled).toEqual(['stage']);
  });

  it('refuses a second stage while one runs', async () => {
    let finish = () => {};
    const { store } = await ready({
      float: (request) => new Promise((resolve) => (finish = () => resolve(trainResult(request, 0.7)))),
    });
    const first = store.getState().runStage('float');
    await expect(store.getState().runStage('calibration')).rejects.toThrow('Float training is running: wait for it or cancel it first');
    await new Promise((r) => setTimeout(r, 0));
    finish();
    await first;
  });

  it('runs the pipeline up to a stage, skipping current results', async () => {
    const { store, requests } = await ready({
      float: async (request) => trainResult(request, 0.7),
      calibration: async (r) => calibrationResult(r),
      qat: async (request) => trainResult(request, 0.72),
    });
    await store.getState().runStage('float');
    requests.length = 0;
    await store.getState().runPipeline('qat');
    expect(requests.map((r) => r.op)).toEqual(['calibration', 'qat']);
    const qat = requests[1]!.params as StageRequest;
    expect(qat.inputs).toEqual({ calibration: store.getState().stages.calibration.result!.runId });
  });

  it('says why a stage cannot run without WebGPU', async () => {
    const fake = fakeServices({ gpu: async () => ({ available: false, reason: 'no adapter here' }) }, ALL_AVAILABLE);
    const store = createAppStore(fake.services);
    await store.getState().detectGpu();
    await expect(store.getState().runStage('float')).rejects.toThrow('Float training needs WebGPU: no adapter here');
  });
});

describe('progressBatcher', () => {
  it('hands on the first event at once, then at most one per interval with every metric point', async () => {
    const { progressBatcher } = await import('./pipeline');
    const delivered: { step: number | undefined; points: number[] }[] = [];
    const batcher = progressBatcher((p, points) => delivered.push({ step: p.step, points: points.map((q) => q.step) }), 40);
    const event = (step: number) => ({ stage: 'float' as const, fraction: step / 10, step, loss: 1 / step });
    batcher.push(event(1));
    batcher.push(event(2));
    batcher.push(event(3));
    expect(delivered).toEqual([{ step: 1, points: [1] }]);
    await new Promise((r) => setTimeout(r, 60));
    expect(delivered).toEqual([{ step: 1, points: [1] }, { step: 3, points: [2, 3] }]);
    batcher.push(event(4));
    batcher.stop();
    await new Promise((r) => setTimeout(r, 60));
    expect(delivered).toHaveLength(2);
  });
});
