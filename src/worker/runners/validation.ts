/**
 * The validation stage in the worker: the calibration checkpoint loaded into a freshly prepared model,
 * eval + VALIDATION (fake quantize with frozen scales), test-set accuracy.
 */
import { runValidation } from '../../pipeline/validation';
import { resolveDataSettings } from '../resolveSettings';
import type { ValidationStageResult } from '../results';
import type { StageRunner } from '../stages';
import { disposeAll, elapsedSince, inputCheckpoint, loadProgram, locateUserError, stageContext } from './common';

export const runValidationStage: StageRunner<'validation'> = async (request, env) => {
  const started = performance.now();
  const program = loadProgram(request);
  let made: Awaited<ReturnType<typeof runValidation>> | null = null;
  try {
    const checkpoint = await inputCheckpoint(env, request, 'calibration');
    const data = resolveDataSettings(request.settings);
    try {
      made = await runValidation(program, stageContext(env), { of: 'calibration', checkpoint, settings: { testSubset: data.testSubset } });
    } catch (error) {
      throw locateUserError(error, 'qconfig.ts');
    }
    const { test } = made.result;
    const out: ValidationStageResult = {
      runId: request.runId,
      seconds: elapsedSince(started),
      settings: { testSubset: data.testSubset },
      of: 'calibration',
      accuracy: test.accuracy,
      test,
      layers: [],
    };
    return out;
  } finally {
    disposeAll([made?.model, program.model]);
  }
};
