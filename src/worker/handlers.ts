/**
 * The worker's handler for each operation of the protocol. Adding a stage: add its entry to
 * `Operations` in protocol.ts and its handler here (the `Handlers` type insists on both).
 */
import { FASHION_MNIST_CLASSES } from '../data/idx';
import { loadFashionMnist, pickSamples, pixelStats, type RawDataset } from '../data/fashionMnist';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD } from '../data/idx';
import type { CacheLike } from '../data/loader';
import type { StageName } from '../pipeline/types';
import { analyzeSources } from './analyze';
import { ArtifactStore } from './artifacts';
import type { Handler, HandlerContext, Handlers } from './host';
import { openGpu } from './gpu';
import type { DatasetReport, WorkerEvent } from './protocol';
import { STAGE_RUNNERS, runStage, type StageRunners } from './stages';
import type { WorkerState } from './state';
import { histogramOf } from './histogram';
import { activationHistogram } from './activations';
import type { Checkpoint } from '../pipeline/checkpoints';

export const DATASET_CACHE = 'qat-playground-datasets-v1';

export interface WorkerEnv {
  gpu: GPU | undefined;
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
  openCache: () => Promise<CacheLike | null>;
  emit: (event: WorkerEvent) => void;
  /** Where checkpoints outlive the worker (memory only when omitted). */
  artifacts?: ArtifactStore;
  /** The stage runners (tests give their own). */
  runners?: StageRunners;
}

export function createHandlers(state: WorkerState, env: WorkerEnv): Handlers {
  const artifacts = env.artifacts ?? new ArtifactStore(null);
  const runners = env.runners ?? STAGE_RUNNERS;
  function stage<K extends StageName>(name: K): Handler<K> {
    return (request, context: HandlerContext<K>) =>
      runStage(name, runners, request, {
        state,
        artifacts,
        signal: context.signal,
        progress: (p, force) => context.progress(p, force),
        transfer: (...objects) => context.transfer(...objects),
      });
  }
  return {
    async analyze(params) {
      return analyzeSources(params.files);
    },
    float: stage('float'),
    calibration: stage('calibration'),
    validation: stage('validation'),
    qat: stage('qat'),
    convert: stage('convert'),
    fixed: stage('fixed'),
    check: stage('check'),
    compile: stage('compile'),
    sensitivity: stage('sensitivity'),
    async histogram(params) {
      const checkpoint = await artifacts.get<Checkpoint>(params.stage, params.runId);
      if (params.kind === 'weight') return histogramOf(checkpoint, params);
      if (!params.files) throw new Error('An activation histogram needs the editor files');
      return activationHistogram(params.files, checkpoint, params, state.datasets().test);
    },

    async gpu() {
      if (state.gpu?.available) return state.gpu;
      const { report } = await openGpu(env.gpu, (message) => {
        state.gpu = null;
        env.emit({ kind: 'deviceLost', message });
      });
      state.gpu = report;
      return report;
    },

    async dataset(params, context) {
      const started = performance.now();
      let data = state.rawDataset(params.baseUrl);
      const inMemory = data !== null;
      if (!data) {
        const cache = await env.openCache();
        data = await loadFashionMnist(
          params.baseUrl,
          {
            fetch: env.fetch,
            cache,
            signal: context.signal,
            warn: (message) => env.emit({ kind: 'warning', message }),
          },
          (progress) => context.progress(progress, progress.loaded >= progress.total),
        );
        state.setDataset(params.baseUrl, data);
      }
      const report = summarize(data, params.samplesPerClass, inMemory, (performance.now() - started) / 1000);
      context.transfer(report.samples.pixels.buffer);
      return report;
    },
  };
}

function summarize(data: RawDataset, samplesPerClass: number, inMemory: boolean, seconds: number): DatasetReport {
  const samples = pickSamples(data.test, samplesPerClass, data.classes.length);
  const stats = pixelStats(data.train.images.data);
  const split = ({ count, height, width }: RawDataset['train']) => ({ count, height, width });
  return {
    name: 'Fashion-MNIST',
    classes: [...(data.classes.length ? data.classes : FASHION_MNIST_CLASSES)],
    train: split(data.train),
    test: split(data.test),
    pixelMean: stats.mean,
    pixelStd: stats.std,
    normalization: { mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD },
    samples: { height: data.test.height, width: data.test.width, pixels: samples.pixels, labels: samples.labels },
    fromCache: inMemory || data.fromCache,
    compressedBytes: data.compressedBytes,
    seconds,
  };
}
