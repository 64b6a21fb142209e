import { describe, expect, it } from 'vitest';
import { WorkerClient, WorkerError, type WorkerLike } from './client';
import { createWorkerHost, type Handlers } from './host';
import { CancelledError, type DatasetProgress, type DatasetReport, type FromWorker, type ToWorker } from './protocol';

const params = { baseUrl: 'datasets/fashion-mnist/', samplesPerClass: 2 };

function report(samplesPerClass: number): DatasetReport {
  return {
    name: 'test',
    classes: ['a', 'b'],
    train: { count: 4, height: 2, width: 2 },
    test: { count: 2, height: 2, width: 2 },
    pixelMean: 0.5,
    pixelStd: 0.25,
    normalization: { mean: 0.5, std: 0.25 },
    samples: { height: 2, width: 2, pixels: new Uint8Array(4 * samplesPerClass * 2), labels: [] },
    fromCache: false,
    compressedBytes: 0,
    seconds: 0,
  };
}

/** A promise the test resolves by hand. */
function gate(): { promise: Promise<void>; open(): void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Resolves once `signal` aborts, rejecting with its reason (what a cooperative handler does). */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

/** The operations these tests do not use: each fails if called. */
function unusedHandlers(): Omit<Handlers, 'gpu' | 'dataset'> {
  const unused = (op: string) => () => Promise.reject(new Error(`${op}: not used in this test`));
  return {
    analyze: unused('analyze'),
    float: unused('float'),
    calibration: unused('calibration'),
    validation: unused('validation'),
    qat: unused('qat'),
    convert: unused('convert'),
    fixed: unused('fixed'),
    check: unused('check'),
    compile: unused('compile'),
    sensitivity: unused('sensitivity'),
    histogram: unused('histogram'),
  };
}

function setup(handlers: Partial<Handlers>, progressIntervalMs = 0) {
  const posted: { message: FromWorker; transfer: Transferable[] }[] = [];
  const all: Handlers = {
    gpu: async () => ({ available: false, reason: 'none' }),
    dataset: async (p) => report(p.samplesPerClass),
    ...unusedHandlers(),
    ...handlers,
  };
  let clock = 0;
  const host = createWorkerHost(all, { postMessage: (message, transfer = []) => posted.push({ message, transfer }) }, {
    progressIntervalMs,
    now: () => clock,
  });
  const settled = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { host, posted, settled, advance: (ms: number) => (clock += ms) };
}

describe('worker host', () => {
  it('runs the handler of the requested operation and posts its result with the transfer list', async () => {
    const { host, posted, settled } = setup({
      dataset: async (p, context) => {
        const r = report(p.samplesPerClass);
        context.transfer(r.samples.pixels.buffer);
        return r;
      },
    });
    host.receive({ type: 'request', id: 7, op: 'dataset', params });
    await settled();
    expect(posted).toHaveLength(1);
    expect(posted[0]!.message).toMatchObject({ type: 'result', id: 7, result: { samples: { height: 2 } } });
    expect(posted[0]!.transfer).toHaveLength(1);
    expect(host.running()).toEqual([]);
  });

  it('posts errors with their name, message and code location', async () => {
    const located = Object.assign(new SyntaxError("')' expected"), { file: 'qconfig.ts', line: 12, column: 4 });
    const { host, posted, settled } = setup({
      gpu: async () => {
        throw located;
      },
    });
    host.receive({ type: 'request', id: 1, op: 'gpu', params: {} });
    await settled();
    expect(posted[0]!.message).toMatchObject({
      type: 'error',
      id: 1,
      error: { name: 'SyntaxError', message: "')' expected", file: 'qconfig.ts', line: 12, column: 4 },
    });
  });

  it('throttles progress unless forced', async () => {
    const progress = (loaded: number): DatasetProgress => ({ file: 'f', loaded, total: 10, fromCache: false });
    const step = gate();
    const { host, posted, settled, advance } = setup(
      {
        dataset: async (p, context) => {
          context.progress(progress(1));
          context.progress(progress(2));
          advance(100);
          context.progress(progress(3));
          context.progress(progress(4), true);
          await step.promise;
          return report(p.samplesPerClass);
        },
      },
      50,
    );
    host.receive({ type: 'request', id: 1, op: 'dataset', params });
    step.open();
    await settled();
    const loaded = posted.flatMap(({ message }) => (message.type === 'progress' ? [(message.progress as DatasetProgress).loaded] : []));
    expect(loaded).toEqual([1, 3, 4]);
  });

  it('aborts the handler on cancel and reports CancelledError', async () => {
    let signal: AbortSignal | null = null;
    const { host, posted, settled } = setup({
      dataset: async (_, context) => {
        signal = context.signal;
        return untilAborted(context.signal);
      },
    });
    host.receive({ type: 'request', id: 3, op: 'dataset', params });
    await settled();
    expect(host.running()).toEqual([3]);
    host.receive({ type: 'cancel', id: 3 });
    await settled();
    expect(signal!.aborted).toBe(true);
    expect(posted.map((p) => p.message)).toEqual([
      { type: 'error', id: 3, error: expect.objectContaining({ name: 'CancelledError', message: 'dataset: cancelled' }) },
    ]);
    expect(host.running()).toEqual([]);
  });

  it('supersedes the running request of a lane and starts the new one only after the old one stopped', async () => {
    const order: string[] = [];
    const { host, posted, settled } = setup({
      dataset: async (p, context) => {
        order.push(`start ${p.samplesPerClass}`);
        if (p.samplesPerClass === 1) {
          await untilAborted(context.signal).catch(async (e: unknown) => {
            await settled();
            order.push('old stopped');
            throw e;
          });
        }
        return report(p.samplesPerClass);
      },
      gpu: async () => {
        order.push('gpu');
        return { available: false, reason: 'none' };
      },
    });
    host.receive({ type: 'request', id: 1, op: 'dataset', params: { ...params, samplesPerClass: 1 } });
    await settled();
    host.receive({ type: 'request', id: 2, op: 'dataset', params: { ...params, samplesPerClass: 2 } });
    host.receive({ type: 'request', id: 3, op: 'gpu', params: {} });
    for (let i = 0; i < 5; i++) await settled();
    expect(order).toEqual(['start 1', 'gpu', 'old stopped', 'start 2']);
    const replies = posted.map((p) => p.message);
    expect(replies).toContainEqual({ type: 'error', id: 1, error: expect.objectContaining({ name: 'CancelledError', message: 'dataset: superseded by a newer request' }) });
    expect(replies).toContainEqual(expect.objectContaining({ type: 'result', id: 2 }));
    expect(replies).toContainEqual(expect.objectContaining({ type: 'result', id: 3 }));
  });

  it('emits events', () => {
    const { host, posted } = setup({});
    host.emit({ kind: 'deviceLost', message: 'the device was destroyed' });
    expect(posted[0]!.message).toEqual({ type: 'event', event: { kind: 'deviceLost', message: 'the device was destroyed' } });
  });
});

/** The client and the host joined by a channel that clones messages the way postMessage does. */
function connected(handlers: Partial<Handlers>) {
  let deliverToClient: (message: FromWorker) => void = () => {};
  const all: Handlers = {
    gpu: async () => ({ available: false, reason: 'none' }),
    dataset: async (p) => report(p.samplesPerClass),
    ...unusedHandlers(),
    ...handlers,
  };
  const host = createWorkerHost(all, { postMessage: (message) => queueMicrotask(() => deliverToClient(structuredClone(message))) });
  const worker: WorkerLike = {
    postMessage: (message) => queueMicrotask(() => host.receive(structuredClone(message) as ToWorker)),
    addEventListener(type, listener) {
      if (type === 'message') deliverToClient = (data) => listener({ data } as MessageEvent);
    },
    terminate() {},
  };
  return { client: new WorkerClient(worker), host };
}

describe('client and host together', () => {
  it('round-trips a request with progress and a result', async () => {
    const { client } = connected({
      dataset: async (p, context) => {
        context.progress({ file: 'x.gz', loaded: 5, total: 10, fromCache: true }, true);
        return report(p.samplesPerClass);
      },
    });
    const progress: number[] = [];
    const result = await client.request('dataset', params, { onProgress: (p) => progress.push(p.loaded / p.total) });
    expect(progress).toEqual([0.5]);
    expect(result.samples.pixels).toBeInstanceOf(Uint8Array);
    expect(result.samples.pixels.length).toBe(16);
  });

  it('cancels a running handler from the page', async () => {
    let aborted = false;
    const { client, host } = connected({
      dataset: async (_, context) =>
        untilAborted(context.signal).finally(() => {
          aborted = true;
        }),
    });
    const controller = new AbortController();
    const done = client.request('dataset', params, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 0));
    controller.abort();
    await expect(done).rejects.toBeInstanceOf(CancelledError);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(aborted).toBe(true);
    expect(host.running()).toEqual([]);
  });

  it('reports a handler error as a WorkerError', async () => {
    const { client } = connected({
      gpu: async () => {
        throw new Error('requestDevice failed: limit maxBufferSize too high');
      },
    });
    const error = await client.request('gpu', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as Error).message).toBe('requestDevice failed: limit maxBufferSize too high');
  });
});
