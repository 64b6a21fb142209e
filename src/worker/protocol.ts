/**
 * The one message protocol between the page and the worker that owns the GPU. Both sides import this
 * file. Every operation is one entry of `Operations` (its params, its progress events, its result);
 * the request message union is generated from it, so adding a stage is one entry here and one handler
 * in the worker (`Handlers` in host.ts makes a missing handler a type error).
 *
 * Requests carry an id. Operations in the same lane exclude each other: a new request supersedes the
 * one running in its lane (the latest wins), and any request can be cancelled by id.
 */
import type { AdapterSummary } from '../engine/device';
import type { StageProgress } from '../pipeline/types';
import type { AnalysisResult, HistogramParams, HistogramResult, SourceTexts, StageRequest, StageResults } from './results';

export type * from './results';

/** What the worker reports about WebGPU: the adapter it opened, or why there is none. */
export type GpuReport =
  | {
      available: true;
      adapter: AdapterSummary;
      /** The device's limits that matter to compute kernels (requested at the adapter's maximum). */
      limits: Record<string, number>;
      features: string[];
    }
  | {
      available: false;
      /** One sentence a person can act on: what is missing and where to look. */
      reason: string;
    };

export interface DatasetParams {
  /** Folder URL of the gzip IDX files, relative to the page (`datasets/fashion-mnist/`). */
  baseUrl: string;
  /** Sample images sent back for the page's grid, taken evenly over the classes of the test set. */
  samplesPerClass: number;
}

export interface DatasetProgress {
  /** The file being read now. */
  file: string;
  /** Compressed bytes read so far, over all files. */
  loaded: number;
  /** Compressed bytes in all files (from Content-Length, or the known file sizes). */
  total: number;
  fromCache: boolean;
}

export interface DatasetSplitSummary {
  count: number;
  height: number;
  width: number;
}

/** A few raw images for display: `pixels` holds `labels.length` images of height × width uint8. */
export interface SampleImages {
  height: number;
  width: number;
  pixels: Uint8Array;
  labels: number[];
}

export interface DatasetReport {
  name: string;
  classes: string[];
  train: DatasetSplitSummary;
  test: DatasetSplitSummary;
  /** Pixel statistics of the training images in [0, 1] (what normalization's mean/std should match). */
  pixelMean: number;
  pixelStd: number;
  /** The normalization the stages apply: (p / 255 - mean) / std. */
  normalization: { mean: number; std: number };
  samples: SampleImages;
  fromCache: boolean;
  compressedBytes: number;
  seconds: number;
}

type StageOperation<K extends keyof StageResults> = { params: StageRequest; progress: StageProgress; result: StageResults[K] };

/** Every operation the worker performs. */
export interface Operations {
  gpu: { params: Record<string, never>; progress: never; result: GpuReport };
  dataset: { params: DatasetParams; progress: DatasetProgress; result: DatasetReport };
  /** Evaluate, trace, fuse and prepare the editor files (nothing trains). */
  analyze: { params: { files: SourceTexts }; progress: never; result: AnalysisResult };
  float: StageOperation<'float'>;
  calibration: StageOperation<'calibration'>;
  validation: StageOperation<'validation'>;
  qat: StageOperation<'qat'>;
  convert: StageOperation<'convert'>;
  fixed: StageOperation<'fixed'>;
  check: StageOperation<'check'>;
  compile: StageOperation<'compile'>;
  sensitivity: StageOperation<'sensitivity'>;
  /** A histogram of a layer's weights or activations from a stage's checkpoint. */
  histogram: { params: HistogramParams; progress: never; result: HistogramResult };
}

export type OperationName = keyof Operations;
export type ParamsOf<K extends OperationName> = Operations[K]['params'];
export type ProgressOf<K extends OperationName> = Operations[K]['progress'];
export type ResultOf<K extends OperationName> = Operations[K]['result'];

/** Operations in one lane never run at the same time: a new request cancels the running one. */
export type Lane = 'gpu' | 'dataset' | 'code' | 'stage' | 'inspect';

export const LANES: { readonly [K in OperationName]: Lane } = {
  gpu: 'gpu',
  dataset: 'dataset',
  analyze: 'code',
  float: 'stage',
  calibration: 'stage',
  validation: 'stage',
  qat: 'stage',
  convert: 'stage',
  fixed: 'stage',
  check: 'stage',
  compile: 'stage',
  sensitivity: 'stage',
  histogram: 'inspect',
};

export type RequestMessage<K extends OperationName = OperationName> = {
  [P in K]: { type: 'request'; id: number; op: P; params: ParamsOf<P> };
}[K];

export type ToWorker = RequestMessage | { type: 'cancel'; id: number };

/** An error as it crosses the boundary; `file`/`line`/`column` point into the user's code when known. */
export interface SerializedError {
  name: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  stack?: string;
}

/** Unsolicited news from the worker. */
export type WorkerEvent = { kind: 'deviceLost'; message: string } | { kind: 'warning'; message: string };

export type FromWorker =
  | { type: 'progress'; id: number; progress: ProgressOf<OperationName> }
  | { type: 'result'; id: number; result: ResultOf<OperationName> }
  | { type: 'error'; id: number; error: SerializedError }
  | { type: 'event'; event: WorkerEvent };

/** Name of the error a cancelled or superseded request rejects with. */
export const CANCELLED = 'CancelledError';

export class CancelledError extends Error {
  constructor(
    readonly op: string,
    readonly reason: 'cancelled' | 'superseded',
  ) {
    super(reason === 'superseded' ? `${op}: superseded by a newer request` : `${op}: cancelled`);
    this.name = CANCELLED;
  }
}

/** Turns anything thrown into the protocol's error shape, keeping a location if the error has one. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const located = error as Error & { file?: unknown; line?: unknown; column?: unknown };
    const out: SerializedError = { name: error.name, message: error.message };
    if (typeof located.file === 'string') out.file = located.file;
    if (typeof located.line === 'number') out.line = located.line;
    if (typeof located.column === 'number') out.column = located.column;
    if (error.stack) out.stack = error.stack;
    return out;
  }
  return { name: 'Error', message: String(error) };
}
