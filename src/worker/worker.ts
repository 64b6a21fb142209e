/// <reference lib="webworker" />
/**
 * The worker entry: it owns the GPU device and the dataset, and answers the page through the protocol.
 */
import { DATASET_CACHE, createHandlers } from './handlers';
import { createWorkerHost } from './host';
import type { ToWorker } from './protocol';
import { WorkerState } from './state';

declare const self: DedicatedWorkerGlobalScope;

const state = new WorkerState();
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
  }),
  { postMessage: (message, transfer = []) => self.postMessage(message, transfer) },
);

self.addEventListener('message', (event: MessageEvent<ToWorker>) => host.receive(event.data));
