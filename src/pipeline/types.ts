/**
 * What every pipeline stage (float training, calibration, QAT, validation, convert, ...) gets and
 * reports. A stage is a plain async function over the engine; the worker wires it to messages, and unit
 * tests call it directly.
 */
import type { ImageDataset } from '../data/idx';

export type StageName = 'float' | 'calibration' | 'validation' | 'qat' | 'convert' | 'fixed' | 'check' | 'compile' | 'sensitivity';

export interface TrainSettings {
  /** Images of the training set used (the first N after a seeded shuffle); 0 = all. */
  trainSubset: number;
  /** Images of the test set evaluated; 0 = all. */
  testSubset: number;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  optimizer: 'sgd' | 'adam' | 'adamw';
  /** 'step' uses stepSize/gamma (per epoch); 'multistep' uses milestones; 'cosine' anneals to 0. */
  schedule: 'constant' | 'step' | 'multistep' | 'cosine';
  stepSize: number;
  gamma: number;
  milestones: number[];
  warmupEpochs: number;
  seed: number;
}

/** Progress, sent at most a few times a second. */
export interface StageProgress {
  stage: StageName;
  /** 0..1 */
  fraction: number;
  epoch?: number;
  step?: number;
  totalSteps?: number;
  loss?: number;
  /** Running training accuracy 0..1 over the recent steps. */
  accuracy?: number;
  lr?: number;
  imagesPerSecond?: number;
  etaSeconds?: number;
  message?: string;
}

export interface StageContext {
  train: ImageDataset;
  test: ImageDataset;
  progress(p: StageProgress): void;
  signal: AbortSignal;
}

export interface EvalResult {
  /** 0..1 */
  accuracy: number;
  loss: number;
  count: number;
}

export interface TrainResult {
  epochs: number;
  steps: number;
  finalLoss: number;
  imagesPerSecond: number;
  test: EvalResult;
  /** Loss and accuracy per logged step, for charts. */
  history: { step: number; loss: number; accuracy: number; lr: number }[];
}

export class StageCancelled extends Error {
  constructor(stage: StageName) {
    super(`${stage}: cancelled`);
    this.name = 'StageCancelled';
  }
}
