/**
 * The QAT stage in the worker: runQat from the calibration checkpoint (prepare with qconfig.ts's QAT
 * setters, load, train + QAT, the setup hook, Horizon's defaults derived from the float run's settings),
 * then the fake-quant test accuracy. The checkpoint goes on to convert.
 */
import type { Checkpoint } from '../../pipeline/checkpoints';
import { stateDictOf } from '../../pipeline/checkpoints';
import { runQat } from '../../pipeline/qat';
import type { TrainSettings } from '../../pipeline/types';
import { quantizedModelBytes } from '../modelSize';
import { resolveTrainSettings } from '../resolveSettings';
import type { TrainStageResult } from '../results';
import type { StageRunner } from '../stages';
import { qconfigSettings } from '../analyze';
import { LOG_EVERY } from './float';
import { disposeAll, elapsedSince, inputCheckpoint, loadProgram, locateUserError, stageContext } from './common';

export const runQatStage: StageRunner<'qat'> = async (request, env) => {
  const started = performance.now();
  const program = loadProgram(request);
  let made: Awaited<ReturnType<typeof runQat>> | null = null;
  try {
    const calibration = await inputCheckpoint(env, request, 'calibration');
    const floatRunId = calibration.meta.floatRunId as string | undefined;
    const floatCheckpoint: Checkpoint | null = floatRunId ? await env.artifacts.get<Checkpoint>('float', floatRunId).catch(() => null) : null;
    // QAT's defaults derive from the float run's settings (Horizon: about 10% of its epochs, its weight decay).
    const floatSettings = (floatCheckpoint?.meta.settings as TrainSettings | undefined) ?? resolveTrainSettings('float', request.settings, qconfigSettings(program));
    const overrides: Partial<TrainSettings> = { ...request.settings.data, ...request.settings.qat };
    try {
      made = await runQat(program, stageContext(env), {
        ...(floatCheckpoint ? { float_state_dict: stateDictOf(floatCheckpoint) } : {}),
        calibration,
        float: floatSettings,
        settings: overrides,
        train: { logEvery: LOG_EVERY },
      });
    } catch (error) {
      throw locateUserError(error, 'qconfig.ts');
    }
    const { result } = made;
    const weightDtypes = Object.fromEntries(result.layers.filter((l) => l.weightDtype).map((l) => [l.name, l.weightDtype!]));
    const outputDtypes = Object.fromEntries(result.layers.map((l) => [l.name, l.dtype]));
    await env.artifacts.put('qat', request.runId, { ...result.checkpoint, meta: { ...result.checkpoint.meta, weightDtypes, outputDtypes, calibrationRunId: request.inputs.calibration } });
    const out: TrainStageResult = {
      runId: request.runId,
      seconds: elapsedSince(started),
      settings: { ...result.settings },
      accuracy: result.test.accuracy,
      test: result.test,
      imagesPerSecond: result.imagesPerSecond,
      epochs: result.epochs,
      steps: result.steps,
      finalLoss: result.finalLoss,
      history: result.history,
      modelBytes: quantizedModelBytes(result.checkpoint.tensors, result.layers),
      layers: result.layers,
      warnings: result.warnings,
    };
    return out;
  } finally {
    disposeAll([made?.model, program.model]);
  }
};
