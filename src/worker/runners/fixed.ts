/**
 * The fixed-point stage in the worker: the integer model's test accuracy on the WebGPU integer
 * executor, and per layer how far it is from the fake-quant model it came from (LSB, SQNR).
 */
import { runFixed } from '../../pipeline/fixed';
import { resolveDataSettings } from '../resolveSettings';
import type { FixedStageResult } from '../results';
import type { StageRunner } from '../stages';
import { disposeAll, elapsedSince, loadProgram, locateUserError, stageContext } from './common';
import { convertArtifact, sourceModel } from './integerArtifacts';

export const runFixedStage: StageRunner<'fixed'> = async (request, env) => {
  const started = performance.now();
  const program = loadProgram(request);
  const data = resolveDataSettings(request.settings);
  let source: Awaited<ReturnType<typeof sourceModel>> | null = null;
  try {
    const artifact = await convertArtifact(env, request);
    source = await sourceModel(env, program, artifact);
    let result;
    try {
      result = await runFixed(stageContext(env), { converted: artifact.converted, qat: source.model, settings: { testSubset: data.testSubset } });
    } catch (error) {
      throw locateUserError(error, 'model.ts');
    }
    const out: FixedStageResult = {
      runId: request.runId,
      seconds: elapsedSince(started),
      settings: { ...result.settings },
      accuracy: result.test.accuracy,
      test: { accuracy: result.test.accuracy, loss: result.test.loss, count: result.test.count },
      imagesPerSecond: result.test.imagesPerSecond,
      backend: result.test.backend,
      layers: result.layers.map((l) => ({ name: l.node, dtype: l.dtype, sqnr: l.sqnrDb, maxLsb: l.maxLsb, meanLsb: l.meanAbsLsb })),
    };
    return out;
  } finally {
    disposeAll([source?.model, program.model]);
  }
};
