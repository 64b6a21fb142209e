/**
 * The validation stage: test-set accuracy of the fake-quant model, as the Horizon flow measures it —
 * `model.eval()`, `set_fake_quantize(model, FakeQuantState.VALIDATION)` (fake quantize with frozen
 * scales, observers off), then the test set. Runs on a model a stage just made, or on a checkpoint
 * loaded into a freshly prepared model.
 */
import type { Module } from '../nn/module';
import type { ImageDataset } from '../data/idx';
import type { EvaluatedProgram } from '../dsl/evaluate';
import { prepareStageModel, type QuantStage } from '../dsl/stage';
import type { PreparedModel } from '../quant/prepare';
import { set_fake_quantize } from '../quant/fake_quant_state';
import { FakeQuantState } from '../quant/types';
import { evaluate } from './train';
import { assertReadyForValidation } from './misuse';
import { loadCheckpoint, type Checkpoint } from './checkpoints';
import type { EvalResult, StageContext, StageName } from './types';

export interface ValidationSettings {
  /** The first `testSubset` test images (0 = all). */
  testSubset: number;
  batchSize: number;
}

export const VALIDATION_DEFAULTS: ValidationSettings = { testSubset: 0, batchSize: 256 };

export interface ValidationOptions {
  signal?: AbortSignal;
  /** Named in progress, errors and cancellation (default 'validation'). */
  stage?: StageName;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Accuracy of a prepared model as it stands: it must already be in eval mode with every fake quantizer
 * in VALIDATION (the check says what to call otherwise).
 */
export async function evaluateFakeQuant(
  model: Module,
  test: ImageDataset,
  settings: Partial<ValidationSettings> = {},
  options: ValidationOptions = {},
): Promise<EvalResult> {
  assertReadyForValidation(model);
  const s = { ...VALIDATION_DEFAULTS, ...settings };
  return evaluate(model, test, { subset: s.testSubset, batchSize: s.batchSize, signal: options.signal, stage: options.stage ?? 'validation', onProgress: options.onProgress });
}

/** model.eval(), set_fake_quantize(model, VALIDATION), then the test-set accuracy. */
export async function validate(model: Module, test: ImageDataset, settings: Partial<ValidationSettings> = {}, options: ValidationOptions = {}): Promise<EvalResult> {
  model.eval();
  set_fake_quantize(model, FakeQuantState.VALIDATION);
  return evaluateFakeQuant(model, test, settings, options);
}

export interface ValidationStageOptions {
  /** Which stage's model the checkpoint is (its qconfig setters prepare the model it loads into). */
  of: QuantStage;
  checkpoint: Checkpoint;
  settings?: Partial<ValidationSettings>;
}

export interface ValidationStageResult {
  of: QuantStage;
  test: EvalResult;
  seconds: number;
}

/** The stage: a fresh model prepared as `of` was, the checkpoint loaded, validated on the test set. */
export async function runValidation(
  program: EvaluatedProgram,
  ctx: StageContext,
  options: ValidationStageOptions,
): Promise<{ model: PreparedModel; result: ValidationStageResult }> {
  const started = performance.now();
  const model = prepareStageModel(program, options.of);
  try {
    loadCheckpoint(model, options.checkpoint, `${options.of} checkpoint`);
    const test = await validate(model, ctx.test, options.settings, {
      signal: ctx.signal,
      onProgress: (done, total) => ctx.progress({ stage: 'validation', fraction: total > 0 ? done / total : 1, message: `evaluating ${done}/${total} test images` }),
    });
    return { model, result: { of: options.of, test, seconds: (performance.now() - started) / 1000 } };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
