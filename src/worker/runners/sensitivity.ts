/**
 * The sensitivity stage in the worker: runSensitivity on the calibration checkpoint (one-at-a-time
 * sensitivity of every quantized op, per-layer SQNR, automatic mixed precision) over the test subset.
 */
import type { Checkpoint } from '../../pipeline/checkpoints';
import { stateDictOf } from '../../pipeline/checkpoints';
import { runSensitivity } from '../../pipeline/sensitivity';
import type { SensitivityStageResult } from '../results';
import type { StageRunner } from '../stages';
import { resolveGroup } from '../resolveSettings';
import { disposeAll, elapsedSince, inputCheckpoint, loadProgram, locateUserError, stageContext } from './common';

export const runSensitivityStage: StageRunner<'sensitivity'> = async (request, env) => {
  const started = performance.now();
  const program = loadProgram(request);
  try {
    const calibration = await inputCheckpoint(env, request, 'calibration');
    const floatRunId = calibration.meta.floatRunId as string | undefined;
    const floatCheckpoint = floatRunId ? await env.artifacts.get<Checkpoint>('float', floatRunId) : null;
    const testSubset = request.settings.data.testSubset;
    let report;
    try {
      report = await runSensitivity(program, stageContext(env), {
        ...(floatCheckpoint ? { float_state_dict: stateDictOf(floatCheckpoint) } : {}),
        calibration_state_dict: stateDictOf(calibration),
        settings: { ...resolveGroup('sensitivity', request.settings), ...(testSubset ? { testSubset } : {}) },
      });
    } catch (error) {
      throw locateUserError(error, 'qconfig.ts');
    }
    const out: SensitivityStageResult = { runId: request.runId, seconds: elapsedSince(started), settings: { ...report.settings }, report };
    return out;
  } finally {
    disposeAll([program.model]);
  }
};
