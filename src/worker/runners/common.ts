/**
 * What every stage runner does around a src/pipeline/ function: evaluate the editor files, build the
 * StageContext, read the checkpoints of the runs it builds on, turn errors thrown by user code into
 * errors located in model.ts/qconfig.ts, and free every model it made.
 */
import { evaluate, type EvaluatedProgram } from '../../dsl/index';
import type { Module } from '../../nn/module';
import type { Checkpoint } from '../../pipeline/checkpoints';
import { MisuseError } from '../../pipeline/misuse';
import { StageCancelled, type StageContext, type StageName } from '../../pipeline/types';
import { firstDiagnostic, UserCodeError } from '../userCodeError';
import type { StageRequest } from '../results';
import type { StageEnv } from '../stages';

export function loadProgram(request: StageRequest): EvaluatedProgram {
  const evaluated = evaluate(request.files);
  if (!evaluated.ok) throw firstDiagnostic(evaluated.diagnostics);
  return evaluated.program;
}

export function stageContext(env: StageEnv): StageContext {
  const { train, test } = env.state.datasets();
  return { train, test, signal: env.signal, progress: (p) => env.progress(p) };
}

/** The checkpoint of the run of `stage` this request builds on. */
export async function inputCheckpoint(env: StageEnv, request: StageRequest, stage: StageName): Promise<Checkpoint> {
  const runId = request.inputs[stage];
  if (!runId) throw new Error(`${stage} result missing: this stage needs a ${stage} run (the page sends its id)`);
  return env.artifacts.get<Checkpoint>(stage, runId);
}

const STAGE_MESSAGE = /^(float|calibration|validation|qat|convert|fixed|check|compile|sensitivity)\b/;

/**
 * Errors that already say what is wrong (cancellation, misuse, a stage's own message) pass through;
 * anything else came from running user code and is located in it.
 */
export function locateUserError(error: unknown, fallbackFile = 'model.ts'): Error {
  if (error instanceof StageCancelled || error instanceof MisuseError || error instanceof UserCodeError) return error;
  if (error instanceof Error && (STAGE_MESSAGE.test(error.message) || /^load .*checkpoint/.test(error.message))) return error;
  return UserCodeError.from(error, fallbackFile);
}

/** Disposes each model once (prepared models share parameters with the float model they came from). */
export function disposeAll(models: Iterable<Module | null | undefined>): void {
  const done = new Set<Module>();
  for (const m of models) {
    if (!m || done.has(m)) continue;
    done.add(m);
    m.dispose();
  }
}

export function elapsedSince(started: number): number {
  return (performance.now() - started) / 1000;
}
