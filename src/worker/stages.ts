/**
 * The stages the worker runs: each runner adapts one function of src/pipeline/ to the protocol (effective
 * settings, the artifacts of earlier runs, progress, the result the page shows). A stage without a runner
 * here answers with StageUnavailableError (availability.ts says why), never with a made-up result.
 */
import type { StageName } from '../pipeline/types';
import type { ArtifactStore } from './artifacts';
import { STAGE_AVAILABILITY, StageUnavailableError } from './availability';
import type { StageProgress, StageRequest, StageResults } from './results';
import type { WorkerState } from './state';
import { runCalibrationStage } from './runners/calibration';
import { runCheckStage } from './runners/check';
import { runCompileStage } from './runners/compile';
import { runConvertStage } from './runners/convert';
import { runFixedStage } from './runners/fixed';
import { runFloat } from './runners/float';
import { runQatStage } from './runners/qat';
import { runSensitivityStage } from './runners/sensitivity';
import { runValidationStage } from './runners/validation';

export interface StageEnv {
  state: WorkerState;
  artifacts: ArtifactStore;
  signal: AbortSignal;
  /** Throttled to 20 per second unless forced (the host does it). */
  progress(progress: StageProgress, force?: boolean): void;
  transfer(...objects: Transferable[]): void;
}

export type StageRunner<K extends StageName> = (request: StageRequest, env: StageEnv) => Promise<StageResults[K]>;

export type StageRunners = { [K in StageName]?: StageRunner<K> };

export const STAGE_RUNNERS: StageRunners = {
  float: runFloat,
  calibration: runCalibrationStage,
  validation: runValidationStage,
  qat: runQatStage,
  convert: runConvertStage,
  fixed: runFixedStage,
  check: runCheckStage,
  compile: runCompileStage,
  sensitivity: runSensitivityStage,
};

export function runStage<K extends StageName>(stage: K, runners: StageRunners, request: StageRequest, env: StageEnv): Promise<StageResults[K]> {
  const runner = runners[stage] as StageRunner<K> | undefined;
  if (!runner || !STAGE_AVAILABILITY[stage].available) return Promise.reject(new StageUnavailableError(stage));
  return runner(request, env);
}
