/**
 * Node-only helpers for the stage tests: the editor files evaluated into a program, small slices of
 * Fashion-MNIST, a briefly trained float model's state_dict, and a StageContext that records progress.
 */
import { evaluate, traceModel, type EvaluatedProgram } from '../../dsl/evaluate';
import { findExample } from '../../dsl/examples/index';
import type { ImageDataset } from '../../data/idx';
import type { Tensor } from '../../engine/tensor';
import { manual_seed } from '../../nn/init';
import { trainFloat } from '../train';
import { loadFashionMnist } from './fashion_mnist';
import type { StageContext, StageProgress, TrainSettings } from '../types';

export function exampleFiles(id: string): { 'model.ts': string; 'qconfig.ts': string } {
  const example = findExample(id);
  if (!example) throw new Error(`no example '${id}'`);
  return { ...example.files };
}

/** Evaluates the two files; throws with the diagnostics if they do not evaluate. */
export function loadProgram(files: { 'model.ts': string; 'qconfig.ts': string }): EvaluatedProgram {
  const r = evaluate(files);
  if (!r.ok) throw new Error(`the test sources do not evaluate: ${r.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.message}`).join('; ')}`);
  return r.program;
}

/** The first `n` images of a dataset (views, no copy). */
export function firstImages(data: ImageDataset, n: number): ImageDataset {
  const count = Math.min(n, data.count);
  const per = data.imageShape[0] * data.imageShape[1] * data.imageShape[2];
  return { ...data, count, images: data.images.subarray(0, count * per), labels: data.labels.subarray(0, count) };
}

let cached: { train: ImageDataset; test: ImageDataset } | null = null;

/** `train` training and `test` test images of Fashion-MNIST. */
export function smallFashionMnist(train: number, test: number): { train: ImageDataset; test: ImageDataset } {
  cached ??= loadFashionMnist();
  return { train: firstImages(cached.train, train), test: firstImages(cached.test, test) };
}

export function stageContext(data: { train: ImageDataset; test: ImageDataset }, progress: StageProgress[] = [], signal = new AbortController().signal): StageContext {
  return { train: data.train, test: data.test, progress: (p) => progress.push(p), signal };
}

export const FLOAT_SETTINGS: TrainSettings = {
  trainSubset: 0,
  testSubset: 0,
  epochs: 1,
  batchSize: 32,
  lr: 0.05,
  momentum: 0.9,
  weightDecay: 4e-5,
  optimizer: 'sgd',
  schedule: 'constant',
  stepSize: 1,
  gamma: 0.1,
  milestones: [],
  warmupEpochs: 0,
  seed: 1,
};

/**
 * Trains a fresh float model of the program (traced, unfused, as the float stage runs it) and returns
 * its state_dict as host arrays, with its test accuracy.
 */
export async function trainedFloatState(
  program: EvaluatedProgram,
  ctx: StageContext,
  settings: Partial<TrainSettings> = {},
): Promise<{ state: Map<string, Float32Array | Int32Array>; accuracy: number }> {
  manual_seed(7);
  const model = program.createModel();
  const traced = traceModel(model, { fuse: false });
  if (!traced.ok) throw new Error(`trace failed: ${traced.diagnostics.map((d) => d.message).join('; ')}`);
  const result = await trainFloat(traced.graph, ctx, { ...FLOAT_SETTINGS, ...settings }, { logEvery: 4, progressIntervalMs: 0 });
  const state = new Map<string, Float32Array | Int32Array>();
  for (const [name, t] of model.state_dict()) state.set(name, (await (t as Tensor).read()).slice() as Float32Array | Int32Array);
  model.dispose();
  return { state, accuracy: result.test.accuracy };
}
