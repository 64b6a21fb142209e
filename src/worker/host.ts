/**
 * The worker side of the protocol, with no worker in it: it takes messages, runs handlers, and posts
 * replies through the port it is given, so unit tests drive it directly. The worker entry (worker.ts)
 * only supplies the handlers and `self`.
 */
import {
  CancelledError,
  LANES,
  serializeError,
  type FromWorker,
  type Lane,
  type OperationName,
  type ParamsOf,
  type ProgressOf,
  type RequestMessage,
  type ResultOf,
  type ToWorker,
  type WorkerEvent,
} from './protocol';

export interface HandlerContext<K extends OperationName> {
  readonly id: number;
  /** Aborted when the request is cancelled or superseded; long handlers check it between steps. */
  readonly signal: AbortSignal;
  /** Sends a progress event. Events closer together than `progressIntervalMs` are dropped unless `force`. */
  progress(progress: ProgressOf<K>, force?: boolean): void;
  /** Moves these buffers to the page with the result instead of copying them. */
  transfer(...objects: Transferable[]): void;
}

export type Handler<K extends OperationName> = (params: ParamsOf<K>, context: HandlerContext<K>) => Promise<ResultOf<K>>;

export type Handlers = { [K in OperationName]: Handler<K> };

export interface Port {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
}

export interface HostOptions {
  progressIntervalMs?: number;
  now?: () => number;
}

interface Running {
  id: number;
  op: OperationName;
  controller: AbortController;
  /** Settles (never rejects) when the handler is done and its reply posted. */
  done: Promise<void>;
}

export interface WorkerHost {
  receive(message: ToWorker): void;
  emit(event: WorkerEvent): void;
  /** Requests whose handler has not finished. */
  running(): number[];
}

export function createWorkerHost(handlers: Handlers, port: Port, options: HostOptions = {}): WorkerHost {
  const interval = options.progressIntervalMs ?? 50;
  const now = options.now ?? (() => performance.now());
  const byLane = new Map<Lane, Running>();
  const byId = new Map<number, Running>();

  function start<K extends OperationName>(message: RequestMessage<K>): void {
    const op: K = message.op;
    const lane = LANES[op];
    const previous = byLane.get(lane);
    previous?.controller.abort(new CancelledError(previous.op, 'superseded'));

    const controller = new AbortController();
    const transfers: Transferable[] = [];
    let lastProgress = -Infinity;
    const context: HandlerContext<K> = {
      id: message.id,
      signal: controller.signal,
      progress(progress, force = false) {
        const t = now();
        if (!force && t - lastProgress < interval) return;
        lastProgress = t;
        port.postMessage({ type: 'progress', id: message.id, progress });
      },
      transfer(...objects) {
        transfers.push(...objects);
      },
    };
    const handler = handlers[op] as Handler<K>;

    const run = async (): Promise<void> => {
      // One lane, one thing at a time: the superseded handler has been told to stop; wait until it has.
      if (previous) await previous.done;
      try {
        if (controller.signal.aborted) throw controller.signal.reason;
        const result = await handler(message.params as ParamsOf<K>, context);
        if (controller.signal.aborted) throw controller.signal.reason;
        port.postMessage({ type: 'result', id: message.id, result }, transfers);
      } catch (error) {
        port.postMessage({ type: 'error', id: message.id, error: serializeError(error) });
      }
    };
    const running: Running = { id: message.id, op, controller, done: Promise.resolve() };
    byLane.set(lane, running);
    byId.set(message.id, running);
    running.done = run().finally(() => {
      byId.delete(message.id);
      if (byLane.get(lane) === running) byLane.delete(lane);
    });
  }

  function cancel(id: number): void {
    const running = byId.get(id);
    running?.controller.abort(new CancelledError(running.op, 'cancelled'));
  }

  return {
    receive(message) {
      switch (message.type) {
        case 'request':
          start(message);
          break;
        case 'cancel':
          cancel(message.id);
          break;
        default: {
          const unknown: never = message;
          throw new Error(`worker: unknown message ${JSON.stringify(unknown)}`);
        }
      }
    },
    emit(event) {
      port.postMessage({ type: 'event', event });
    },
    running() {
      return [...byId.keys()];
    },
  };
}
