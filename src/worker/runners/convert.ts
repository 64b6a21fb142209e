/**
 * The convert stage in the worker: the QAT (or calibration) checkpoint loaded into a freshly prepared
 * model in VALIDATION, then convert() to the IntegerModel. The integer model is kept for the fixed,
 * check and compile stages.
 */
import type { Checkpoint } from '../../pipeline/checkpoints';
import { stateDictOf } from '../../pipeline/checkpoints';
import { runConvert } from '../../pipeline/convert';
import { resolveGroup } from '../resolveSettings';
import type { ConvertStageResult, LayerQuantization } from '../results';
import type { StageRunner } from '../stages';
import { disposeAll, elapsedSince, inputCheckpoint, loadProgram, locateUserError, stageContext } from './common';
import type { ConvertArtifact } from './integerArtifacts';

export const runConvertStage: StageRunner<'convert'> = async (request, env) => {
  const started = performance.now();
  const program = loadProgram(request);
  const settings = resolveGroup('convert', request.settings);
  let made: Awaited<ReturnType<typeof runConvert>> | null = null;
  try {
    const checkpoint = await inputCheckpoint(env, request, settings.from);
    const floatRunId = (checkpoint.meta.floatRunId as string | undefined) ?? (await floatRunOf(env, checkpoint));
    const floatCheckpoint = floatRunId ? await env.artifacts.get<Checkpoint>('float', floatRunId).catch(() => null) : null;
    try {
      made = await runConvert(program, stageContext(env), {
        of: settings.from,
        checkpoint,
        ...(floatCheckpoint ? { float_state_dict: stateDictOf(floatCheckpoint) } : {}),
        settings: { requantMode: settings.requantMode },
      });
    } catch (error) {
      throw locateUserError(error, 'model.ts');
    }
    const { result } = made;
    const artifact: ConvertArtifact = {
      converted: result.converted,
      of: settings.from,
      sourceRunId: request.inputs[settings.from]!,
      floatRunId: floatRunId ?? null,
      requantMode: settings.requantMode,
    };
    await env.artifacts.put('convert', request.runId, artifact);
    const layers: LayerQuantization[] = result.layers.map((l) => ({
      name: l.name,
      type: l.op,
      dtype: l.dtype,
      scale: l.scale,
      zeroPoint: [l.zeroPoint],
      observer: '',
      ...(l.weightDtype ? { weightDtype: l.weightDtype } : {}),
      ...(l.weightScale ? { weightScale: l.weightScale } : {}),
    }));
    const out: ConvertStageResult = {
      runId: request.runId,
      seconds: elapsedSince(started),
      settings: { ...settings },
      from: settings.from,
      modelBytes: result.modelBytes,
      requantMode: settings.requantMode,
      ops: result.ops,
      layers,
      notes: result.notes,
    };
    return out;
  } finally {
    disposeAll([made?.model, program.model]);
  }
};

/** A QAT checkpoint names its calibration run, which names the float run. */
async function floatRunOf(env: Parameters<StageRunner<'convert'>>[1], checkpoint: Checkpoint): Promise<string | null> {
  const calibrationRunId = checkpoint.meta.calibrationRunId as string | undefined;
  if (!calibrationRunId) return null;
  const calibration = await env.artifacts.get<Checkpoint>('calibration', calibrationRunId).catch(() => null);
  return (calibration?.meta.floatRunId as string | undefined) ?? null;
}
