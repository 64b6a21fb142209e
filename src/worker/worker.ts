/// <reference lib="webworker" />
/**
 * The worker entry: it owns the GPU device and the dataset, and answers the page through the protocol.
 */
import { createStore, del, get, keys, set } from 'idb-keyval';
import { ArtifactStore, type KeyValueStore } from './artifacts';
import { DATASET_CACHE, createHandlers } from './handlers';
import { createWorkerHost } from './host';
import type { ToWorker } from './protocol';
import { WorkerState } from './state';

declare const self: DedicatedWorkerGlobalScope;

const state = new WorkerState();

/** Checkpoints in IndexedDB (memory only where the worker has none). */
function artifactStore(): ArtifactStore {
  if (!('indexedDB' in self)) return new ArtifactStore(null);
  const db = createStore('qat-playground-artifacts', 'artifacts');
  const kv: KeyValueStore = {
    get: (k) => get(k, db),
    set: (k, v) => set(k, v, db),
    del: (k) => del(k, db),
    keys: () => keys<string>(db),
  };
  return new ArtifactStore(kv);
}

const host = createWorkerHost(
  createHandlers(state, {
    gpu: self.navigator.gpu,
    fetch: (url, init) => fetch(url, init),
    async openCache() {
      // The Cache API needs a secure context (https or localhost); elsewhere every load downloads.
      if (!('caches' in self)) return null;
      try {
        return await self.caches.open(DATASET_CACHE);
      } catch {
        return null;
      }
    },
    emit: (event) => host.emit(event),
    artifacts: artifactStore(),
  }),
  { postMessage: (message, transfer = []) => self.postMessage(message, transfer) },
);

self.addEventListener('message', (event: MessageEvent<ToWorker>) => host.receive(event.data));
