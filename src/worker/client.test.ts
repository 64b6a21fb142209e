import { describe, expect, it } from 'vitest';
import { WorkerClient, WorkerCrashedError, WorkerError, type WorkerLike } from './client';
import { CancelledError, type DatasetProgress, type FromWorker, type GpuReport, type ToWorker } from './protocol';

/** A worker that records what the client posts and lets the test answer. */
class FakeWorker implements WorkerLike {
  readonly posted: ToWorker[] = [];
  terminated = false;
  private readonly listeners = new Map<string, ((event: Event) => void)[]>();

  postMessage(message: ToWorker): void {
    this.posted.push(structuredClone(message));
  }

  addEventListener(type: 'message' | 'error', listener: (event: Event) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  terminate(): void {
    this.terminated = true;
  }

  reply(message: FromWorker): void {
    const event = { data: structuredClone(message) } as MessageEvent<FromWorker>;
    for (const listener of this.listeners.get('message') ?? []) listener(event);
  }

  crash(message: string): void {
    for (const listener of this.listeners.get('error') ?? []) listener({ message } as ErrorEvent);
  }

  lastRequestId(): number {
    const last = this.posted.at(-1);
    if (!last || last.type !== 'request') throw new Error('the last message posted was not a request');
    return last.id;
  }
}

const gpuReport: GpuReport = { available: false, reason: 'no adapter in this test' };
const datasetParams = { baseUrl: 'datasets/fashion-mnist/', samplesPerClass: 2 };

function setup() {
  const worker = new FakeWorker();
  return { worker, client: new WorkerClient(worker) };
}

describe('WorkerClient', () => {
  it('posts a request with a fresh id and resolves with the matching result', async () => {
    const { worker, client } = setup();
    const first = client.request('gpu', {});
    const second = client.request('dataset', datasetParams);
    expect(worker.posted).toEqual([
      { type: 'request', id: 1, op: 'gpu', params: {} },
      { type: 'request', id: 2, op: 'dataset', params: datasetParams },
    ]);
    worker.reply({ type: 'result', id: 1, result: gpuReport });
    await expect(first).resolves.toEqual(gpuReport);
    expect(client.pendingIds()).toEqual([2]);
    void second.catch(() => {});
  });

  it('delivers progress to the request it belongs to, and none after the result', async () => {
    const { worker, client } = setup();
    const seen: DatasetProgress[] = [];
    const done = client.request('dataset', datasetParams, { onProgress: (p) => seen.push(p) });
    const id = worker.lastRequestId();
    const progress: DatasetProgress = { file: 'a.gz', loaded: 10, total: 100, fromCache: false };
    worker.reply({ type: 'progress', id, progress });
    worker.reply({ type: 'progress', id: id + 99, progress: { ...progress, loaded: 50 } });
    worker.reply({ type: 'error', id, error: { name: 'IdxError', message: 'a.gz: truncated' } });
    worker.reply({ type: 'progress', id, progress: { ...progress, loaded: 90 } });
    await expect(done).rejects.toThrow('a.gz: truncated');
    expect(seen).toEqual([progress]);
  });

  it('rejects with a WorkerError that keeps the error name and the code location', async () => {
    const { worker, client } = setup();
    const done = client.request('gpu', {});
    worker.reply({
      type: 'error',
      id: worker.lastRequestId(),
      error: { name: 'SyntaxError', message: "model.ts:3:7: ';' expected", file: 'model.ts', line: 3, column: 7 },
    });
    const error = await done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerError);
    expect(error).toMatchObject({ name: 'SyntaxError', op: 'gpu', file: 'model.ts', line: 3, column: 7 });
  });

  it('cancels through an AbortSignal: rejects at once, tells the worker, ignores the late reply', async () => {
    const { worker, client } = setup();
    const controller = new AbortController();
    const done = client.request('dataset', datasetParams, { signal: controller.signal });
    const id = worker.lastRequestId();
    controller.abort();
    const error = await done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).reason).toBe('cancelled');
    expect(worker.posted.at(-1)).toEqual({ type: 'cancel', id });
    expect(client.pendingIds()).toEqual([]);
    worker.reply({ type: 'result', id, result: gpuReport });
    expect(client.cancel(id)).toBe(false);
  });

  it('does not post a request whose signal is already aborted', async () => {
    const { worker, client } = setup();
    await expect(client.request('gpu', {}, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
    expect(worker.posted).toEqual([]);
  });

  it('lets the latest request in a lane win and leaves other lanes alone', async () => {
    const { worker, client } = setup();
    const gpu = client.request('gpu', {});
    const older = client.request('dataset', datasetParams);
    const olderId = worker.lastRequestId();
    const newer = client.request('dataset', { ...datasetParams, samplesPerClass: 3 });
    const newerId = worker.lastRequestId();
    const error = await older.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).reason).toBe('superseded');
    // The worker supersedes on its side when it sees the new request: no cancel message is needed.
    expect(worker.posted.filter((m) => m.type === 'cancel')).toEqual([]);
    worker.reply({ type: 'error', id: olderId, error: { name: 'CancelledError', message: 'dataset: superseded' } });
    worker.reply({ type: 'result', id: newerId, result: gpuReport });
    await expect(newer).resolves.toEqual(gpuReport);
    expect(client.pendingIds()).toEqual([1]);
    expect(client.cancelLane('gpu')).toBe(true);
    await expect(gpu).rejects.toBeInstanceOf(CancelledError);
  });

  it('turns a CancelledError from the worker into a CancelledError', async () => {
    const { worker, client } = setup();
    const done = client.request('dataset', datasetParams);
    worker.reply({ type: 'error', id: worker.lastRequestId(), error: { name: 'CancelledError', message: 'dataset: cancelled' } });
    await expect(done).rejects.toBeInstanceOf(CancelledError);
  });

  it('passes worker events to listeners until they unsubscribe', () => {
    const { worker, client } = setup();
    const events: string[] = [];
    const off = client.onEvent((event) => events.push(`${event.kind}: ${event.message}`));
    worker.reply({ type: 'event', event: { kind: 'deviceLost', message: 'destroyed' } });
    off();
    worker.reply({ type: 'event', event: { kind: 'warning', message: 'ignored' } });
    expect(events).toEqual(['deviceLost: destroyed']);
  });

  it('rejects everything pending when the worker crashes, and on dispose', async () => {
    const { worker, client } = setup();
    const a = client.request('gpu', {});
    const b = client.request('dataset', datasetParams);
    worker.crash('Uncaught SyntaxError in worker.js');
    await expect(a).rejects.toBeInstanceOf(WorkerCrashedError);
    await expect(b).rejects.toThrow('The worker stopped: Uncaught SyntaxError in worker.js');
    const c = client.request('gpu', {});
    client.dispose();
    await expect(c).rejects.toBeInstanceOf(WorkerCrashedError);
    expect(worker.terminated).toBe(true);
  });
});
