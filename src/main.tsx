import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectWorkerEvents, createAppStore } from './store';
import { createAutomationApi } from './store/automation';
import { App } from './ui/App';
import { StoreProvider } from './ui/StoreContext';
import { installShortcuts } from './ui/shortcuts';
import { WorkerClient } from './worker/client';
import './ui/app.css';

const worker = new Worker(new URL('./worker/worker.ts', import.meta.url), { type: 'module', name: 'qat-engine' });
const client = new WorkerClient(worker);
const store = createAppStore({
  client,
  // The worker lives under assets/, so the page resolves the dataset folder against itself.
  datasetUrl: new URL('datasets/fashion-mnist/', document.baseURI).href,
  samplesPerClass: 2,
});
connectWorkerEvents(store, client);
installShortcuts(store);
window.qatPlayground = createAutomationApi(store);

void store.getState().detectGpu();
void store.getState().loadDataset();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
);
