/**
 * The compile stage in the worker: compile_model's downloads (the .qatm compiled model, ONNX, the
 * PyTorch script and its weights, the check report) from the converted model, the fake-quant model it
 * came from, and the check of the same run.
 */
import type { CheckReport } from '../../fixed/check_model';
import type { Checkpoint } from '../../pipeline/checkpoints';
import { runCompile } from '../../pipeline/compile';
import type { TrainSettings } from '../../pipeline/types';
import { resolveGroup } from '../resolveSettings';
import type { CompileStageResult } from '../results';
import type { StageRunner } from '../stages';
import { disposeAll, elapsedSince, loadProgram, locateUserError, stageContext } from './common';
import { convertArtifact, sourceModel } from './integerArtifacts';

export const runCompileStage: StageRunner<'compile'> = async (request, env) => {
  const started = performance.now();
  const program = loadProgram(request);
  const march = resolveGroup('check', request.settings).march;
  const settings = resolveGroup('compile', request.settings);
  let source: Awaited<ReturnType<typeof sourceModel>> | null = null;
  try {
    const artifact = await convertArtifact(env, request);
    const check = request.inputs.check ? await env.artifacts.get<CheckReport>('check', request.inputs.check) : undefined;
    source = await sourceModel(env, program, artifact);
    const accuracy: Record<string, number> = {};
    const float = artifact.floatRunId ? await env.artifacts.get<Checkpoint>('float', artifact.floatRunId).catch(() => null) : null;
    if (typeof float?.meta.accuracy === 'number') accuracy.float = float.meta.accuracy;
    if (typeof source.checkpoint.meta.accuracy === 'number') accuracy[artifact.of] = source.checkpoint.meta.accuracy;
    const train = source.checkpoint.meta.settings as TrainSettings | undefined;
    let result;
    try {
      result = await runCompile(program, stageContext(env), {
        converted: artifact.converted,
        qat: source.model,
        settings: { march, ...settings },
        ...(train && artifact.of === 'qat' ? { train } : {}),
        accuracy,
        ...(check && check.march === march ? { check } : {}),
      });
    } catch (error) {
      throw locateUserError(error, 'model.ts');
    }
    const files = result.files.map((f) => {
      const data = f.data.buffer.slice(f.data.byteOffset, f.data.byteOffset + f.data.byteLength) as ArrayBuffer;
      return { name: f.name, mime: f.mime, bytes: f.data.byteLength, data, description: f.description };
    });
    const out: CompileStageResult = { runId: request.runId, seconds: elapsedSince(started), settings: { ...settings, march }, files };
    return out;
  } finally {
    disposeAll([source?.model, program.model]);
  }
};
