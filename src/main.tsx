import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createStore as createIdbStore, del, get, keys, set } from 'idb-keyval';
import { persistStore, restoreResults } from './persist/persistStore';
import { startupState } from './persist/session';
import { shareUrl } from './share/link';
import { connectWorkerEvents, createAppStore } from './store';
import { createAutomationApi } from './store/automation';
import { App } from './ui/App';
import { StoreProvider } from './ui/StoreContext';
import { installShortcuts } from './ui/shortcuts';
import { WorkerClient } from './worker/client';
import type { KeyValueStore } from './worker/artifacts';
import './ui/app.css';

const worker = new Worker(new URL('./worker/worker.ts', import.meta.url), { type: 'module', name: 'qat-engine' });
const client = new WorkerClient(worker);
const store = createAppStore({
  client,
  // The worker lives under assets/, so the page resolves the dataset folder against itself.
  datasetUrl: new URL('datasets/fashion-mnist/', document.baseURI).href,
  samplesPerClass: 2,
});

// Starting state: a share link, else the saved session, else the default example. Nothing runs.
const startup = startupState(window.location, window.localStorage);
store.setState({ files: startup.session.files, activeFile: startup.session.activeFile, settings: startup.session.settings });
if (window.location.hash) history.replaceState(null, '', `${window.location.pathname}${window.location.search}`);
if (startup.notice) {
  const replaced = startup.replaced;
  store.getState().notify(
    startup.notice.kind,
    startup.notice.text,
    replaced
      ? {
          label: 'Restore my previous files',
          run: () => store.setState({ files: replaced.files, activeFile: replaced.activeFile, settings: replaced.settings }),
        }
      : undefined,
  );
}

const idb = createIdbStore('qat-playground-results', 'results');
const results: KeyValueStore = {
  get: (k) => get(k, idb),
  set: (k, v) => set(k, v, idb),
  del: (k) => del(k, idb),
  keys: () => keys<string>(idb),
};
persistStore(store, { storage: window.localStorage, results, onError: (message) => store.getState().notify('warning', message) });
void restoreResults(store, results).catch((error: unknown) =>
  store.getState().notify('warning', `Earlier results could not be read back: ${error instanceof Error ? error.message : String(error)}`),
);

connectWorkerEvents(store, client);
installShortcuts(store);
const shareLink = () => {
  const { files, settings } = store.getState();
  return shareUrl(window.location, { files, settings });
};
window.qatPlayground = createAutomationApi(store, { shareLink });

void store.getState().detectGpu();
void store.getState().loadDataset();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App shareLink={shareLink} />
    </StoreProvider>
  </StrictMode>,
);
