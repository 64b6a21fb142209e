import { describe, expect, it } from 'vitest';
import { DEFAULT_SOURCES } from '../editor/defaultSources';
import { encodeShareHash } from '../share/link';
import { createAppStore } from '../store';
import { emptyOverrides } from '../store/settings';
import { ALL_AVAILABLE, fakeServices } from '../store/testing';
import { MemoryKeyValueStore } from '../worker/artifacts';
import type { TrainStageResult } from '../worker/protocol';
import { persistStore, restoreResults } from './persistStore';
import { SESSION_KEY, loadSession, startupState } from './session';

class MemoryStorage {
  readonly map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

const result: TrainStageResult = {
  runId: 'float-1',
  seconds: 3,
  settings: {},
  accuracy: 0.8,
  test: { accuracy: 0.8, loss: 0.5, count: 256 },
  imagesPerSecond: 400,
  epochs: 1,
  steps: 8,
  finalLoss: 0.5,
  history: [{ step: 1, epoch: 0, loss: 2, accuracy: 0.1, lr: 0.05 }],
  modelBytes: 82_344,
};

describe('startup order: link, then saved session, then the default example', () => {
  const mine = { files: { 'model.ts': '// saved model', 'qconfig.ts': '// saved qconfig' }, activeFile: 'qconfig.ts' as const, settings: { ...emptyOverrides(), data: { trainSubset: 100 } } };

  it('uses the default example when nothing is saved', () => {
    const s = startupState({ hash: '' }, new MemoryStorage());
    expect(s).toMatchObject({ source: 'default', notice: null, session: { files: DEFAULT_SOURCES, activeFile: 'model.ts' } });
  });

  it('restores the saved session', () => {
    const storage = new MemoryStorage();
    storage.setItem(SESSION_KEY, JSON.stringify({ v: 1, ...mine }));
    expect(startupState({ hash: '' }, storage)).toMatchObject({ source: 'saved', session: mine });
  });

  it('prefers a share link, keeping the saved session to offer back', () => {
    const storage = new MemoryStorage();
    storage.setItem(SESSION_KEY, JSON.stringify({ v: 1, ...mine }));
    const hash = encodeShareHash({ files: { ...DEFAULT_SOURCES, 'qconfig.ts': '// shared' }, settings: { ...emptyOverrides(), qat: { epochs: 2 } } });
    const s = startupState({ hash }, storage);
    expect(s.source).toBe('link');
    expect(s.session.files['qconfig.ts']).toBe('// shared');
    expect(s.session.settings.qat).toEqual({ epochs: 2 });
    expect(s.notice?.text).toContain('nothing has run');
    expect(s.replaced).toEqual(mine);
  });

  it('loads the default example with a message for a malformed link', () => {
    const storage = new MemoryStorage();
    storage.setItem(SESSION_KEY, JSON.stringify({ v: 1, ...mine }));
    const s = startupState({ hash: '#s1=@@' }, storage);
    expect(s).toMatchObject({ source: 'default', session: { files: DEFAULT_SOURCES }, notice: { kind: 'error' }, replaced: mine });
  });

  it('ignores a damaged or foreign saved session', () => {
    for (const raw of ['{', JSON.stringify({ v: 2, ...mine }), JSON.stringify({ v: 1, files: { 'model.ts': 1 } }), JSON.stringify({ v: 1, ...mine, settings: { qat: { lr: -1 } } })]) {
      const storage = new MemoryStorage();
      storage.setItem(SESSION_KEY, raw);
      expect(loadSession(storage)).toBeNull();
    }
  });
});

describe('persistStore', () => {
  it('writes the session after edits and stage records when they change, and restores them', async () => {
    const storage = new MemoryStorage();
    const results = new MemoryKeyValueStore();
    const store = createAppStore(fakeServices({}, ALL_AVAILABLE).services);
    const stop = persistStore(store, { storage, results, delayMs: 5 });
    store.getState().setSource('model.ts', '// typed');
    store.getState().setStageSettings('qat', { epochs: 2 });
    store.getState().stageStarted('float');
    store.getState().stageProgress({ stage: 'float', fraction: 0.5 });
    store.getState().stageFinished('float', result, 'key-1');
    store.getState().stageStarted('calibration');
    await tick(20);
    expect(loadSession(storage)).toMatchObject({ files: { 'model.ts': '// typed' }, settings: { qat: { epochs: 2 } } });
    expect(await results.get('stage:float')).toMatchObject({ status: 'done', inputKey: 'key-1', result: { accuracy: 0.8 } });
    stop();

    const reloaded = createAppStore(fakeServices({}, ALL_AVAILABLE).services);
    await restoreResults(reloaded, results);
    expect(reloaded.getState().stages.float).toMatchObject({ status: 'done', inputKey: 'key-1', result: { runId: 'float-1', history: result.history } });
    // Running when the page went away: failed, saying why.
    expect(reloaded.getState().stages.calibration).toMatchObject({ status: 'failed', error: 'Interrupted: the page was reloaded or closed while this stage ran' });
  });

  it('does not overwrite a stage that started before the saved records arrived', async () => {
    const results = new MemoryKeyValueStore();
    await results.set('stage:float', { status: 'done', error: null, result, inputKey: 'old', startedAt: 1 });
    const store = createAppStore(fakeServices({}, ALL_AVAILABLE).services);
    store.getState().stageStarted('float');
    await restoreResults(store, results);
    expect(store.getState().stages.float.status).toBe('running');
  });
});
