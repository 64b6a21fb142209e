/**
 * The calibration stage in the worker: runCalibration on the float checkpoint (prepare with qconfig.ts's
 * calibration setters, eval + CALIBRATION, N batches, per-layer scales), then the fake-quant test
 * accuracy, so the page can put calibration beside float. The checkpoint goes to QAT and validation.
 */
import { runCalibration } from '../../pipeline/calibration';
import { stateDictOf } from '../../pipeline/checkpoints';
import { quantizedModelBytes } from '../modelSize';
import { resolveDataSettings } from '../resolveSettings';
import type { CalibrationStageResult } from '../results';
import type { StageRunner } from '../stages';
import { disposeAll, elapsedSince, inputCheckpoint, loadProgram, locateUserError, stageContext } from './common';

export const runCalibrationStage: StageRunner<'calibration'> = async (request, env) => {
  const started = performance.now();
  const program = loadProgram(request);
  let made: Awaited<ReturnType<typeof runCalibration>> | null = null;
  try {
    const floatCheckpoint = await inputCheckpoint(env, request, 'float');
    const data = resolveDataSettings(request.settings);
    const page = request.settings;
    // Only what the page set overrides qconfig.ts and the stage's defaults.
    const settings = {
      ...(page.calibration.calibrationBatches !== undefined ? { batches: page.calibration.calibrationBatches } : {}),
      ...(page.calibration.batchSize !== undefined ? { batchSize: page.calibration.batchSize } : {}),
      ...(page.data.trainSubset !== undefined ? { trainSubset: page.data.trainSubset } : {}),
      ...(page.data.seed !== undefined ? { seed: page.data.seed } : {}),
    };
    try {
      made = await runCalibration(program, stageContext(env), {
        float_state_dict: stateDictOf(floatCheckpoint),
        settings,
        evaluate: { testSubset: data.testSubset },
      });
    } catch (error) {
      throw locateUserError(error, 'qconfig.ts');
    }
    const { result } = made;
    const weightDtypes = Object.fromEntries(result.layers.filter((l) => l.weightDtype).map((l) => [l.name, l.weightDtype!]));
    const outputDtypes = Object.fromEntries(result.layers.map((l) => [l.name, l.dtype]));
    await env.artifacts.put('calibration', request.runId, { ...result.checkpoint, meta: { ...result.checkpoint.meta, weightDtypes, outputDtypes, floatRunId: request.inputs.float } });
    const out: CalibrationStageResult = {
      runId: request.runId,
      seconds: elapsedSince(started),
      settings: { ...result.settings, testSubset: data.testSubset },
      batches: result.batches,
      images: result.images,
      imagesPerSecond: result.imagesPerSecond,
      layers: result.layers,
      modelBytes: quantizedModelBytes(result.checkpoint.tensors, result.layers),
      warnings: result.warnings,
      ...(result.test ? { accuracy: result.test.accuracy, test: result.test } : {}),
    };
    return out;
  } finally {
    disposeAll([made?.model, program.model]);
  }
};
