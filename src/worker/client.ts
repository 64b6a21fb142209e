/**
 * The page's side of the protocol: each request becomes a promise, progress events go to a callback,
 * an AbortSignal cancels. A new request in a lane rejects the one still pending there (the latest wins);
 * replies for requests that are no longer pending are ignored.
 */
import {
  CANCELLED,
  CancelledError,
  LANES,
  type FromWorker,
  type Lane,
  type OperationName,
  type ParamsOf,
  type ProgressOf,
  type ResultOf,
  type SerializedError,
  type ToWorker,
  type WorkerEvent,
} from './protocol';

/** The part of `Worker` the client uses, so tests can give it a fake. */
export interface WorkerLike {
  postMessage(message: ToWorker): void;
  addEventListener(type: 'message' | 'error', listener: (event: Event) => void): void;
  terminate(): void;
}

/** A failure reported by the worker; `file`/`line`/`column` locate it in the user's code when known. */
export class WorkerError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly workerStack?: string;

  constructor(
    readonly op: OperationName,
    error: SerializedError,
  ) {
    super(error.message);
    this.name = error.name === 'Error' ? 'WorkerError' : error.name;
    if (error.file !== undefined) this.file = error.file;
    if (error.line !== undefined) this.line = error.line;
    if (error.column !== undefined) this.column = error.column;
    if (error.stack !== undefined) this.workerStack = error.stack;
  }
}

/** The worker script failed to load or threw outside any request. */
export class WorkerCrashedError extends Error {
  constructor(detail: string) {
    super(`The worker stopped: ${detail}`);
    this.name = 'WorkerCrashedError';
  }
}

export interface RequestOptions<K extends OperationName> {
  onProgress?: (progress: ProgressOf<K>) => void;
  signal?: AbortSignal;
}

interface Pending {
  op: OperationName;
  lane: Lane;
  resolve(result: unknown): void;
  reject(error: Error): void;
  onProgress?: (progress: never) => void;
}

export class WorkerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly laneHolder = new Map<Lane, number>();
  private readonly listeners = new Set<(event: WorkerEvent) => void>();

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener('message', (event) => this.handle((event as MessageEvent<FromWorker>).data));
    worker.addEventListener('error', (event) => {
      const detail = (event as ErrorEvent).message || 'the worker script could not be loaded or threw an uncaught error';
      this.rejectAll(new WorkerCrashedError(detail));
    });
  }

  request<K extends OperationName>(op: K, params: ParamsOf<K>, options: RequestOptions<K> = {}): Promise<ResultOf<K>> {
    const { signal, onProgress } = options;
    if (signal?.aborted) return Promise.reject(new CancelledError(op, 'cancelled'));
    const id = this.nextId++;
    const lane = LANES[op];
    const previous = this.laneHolder.get(lane);
    if (previous !== undefined) {
      const superseded = this.settle(previous);
      superseded?.reject(new CancelledError(superseded.op, 'superseded'));
    }

    return new Promise<ResultOf<K>>((resolve, reject) => {
      const onAbort = () => this.cancel(id);
      const cleanup = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        op,
        lane,
        resolve: (result) => {
          cleanup();
          resolve(result as ResultOf<K>);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
        onProgress: onProgress as ((progress: never) => void) | undefined,
      });
      this.laneHolder.set(lane, id);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.worker.postMessage({ type: 'request', id, op, params } as ToWorker);
    });
  }

  /** Cancels a pending request: its promise rejects with CancelledError at once and the worker stops it. */
  cancel(id: number): boolean {
    const pending = this.pending.get(id);
    if (!pending) return false;
    this.settle(id);
    this.worker.postMessage({ type: 'cancel', id });
    pending.reject(new CancelledError(pending.op, 'cancelled'));
    return true;
  }

  /** Cancels whatever is pending in the lane of `op` (the Cancel button of a stage). */
  cancelLane(lane: Lane): boolean {
    const id = this.laneHolder.get(lane);
    return id !== undefined && this.cancel(id);
  }

  /** Listens for unsolicited worker events (device lost, warnings); returns the unsubscribe. */
  onEvent(listener: (event: WorkerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  pendingIds(): number[] {
    return [...this.pending.keys()];
  }

  dispose(): void {
    this.rejectAll(new WorkerCrashedError('the client was disposed'));
    this.worker.terminate();
  }

  private handle(message: FromWorker): void {
    switch (message.type) {
      case 'progress':
        this.pending.get(message.id)?.onProgress?.(message.progress as never);
        break;
      case 'result':
        this.settle(message.id)?.resolve(message.result);
        break;
      case 'error': {
        const pending = this.settle(message.id);
        if (!pending) break;
        pending.reject(
          message.error.name === CANCELLED ? new CancelledError(pending.op, 'cancelled') : new WorkerError(pending.op, message.error),
        );
        break;
      }
      case 'event':
        for (const listener of this.listeners) listener(message.event);
        break;
      default: {
        const unknown: never = message;
        throw new Error(`worker client: unknown message ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Removes a request from the books and returns it (undefined if it was not pending). */
  private settle(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    if (!pending) return undefined;
    this.pending.delete(id);
    if (this.laneHolder.get(pending.lane) === id) this.laneHolder.delete(pending.lane);
    return pending;
  }

  private rejectAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(error);
  }
}
