/**
 * What the convert stage keeps for the fixed, check and compile stages, and how they rebuild the
 * fake-quant model it came from (for per-layer comparisons and the PyTorch script).
 */
import type { EvaluatedProgram } from '../../dsl/index';
import { prepareStageModel } from '../../dsl/stage';
import type { ConvertResult } from '../../fixed/convert';
import { loadCheckpoint, stateDictOf, type Checkpoint } from '../../pipeline/checkpoints';
import { set_fake_quantize } from '../../quant/fake_quant_state';
import type { PreparedModel } from '../../quant/prepare';
import { FakeQuantState } from '../../quant/types';
import type { StageRequest } from '../results';
import type { StageEnv } from '../stages';

export interface ConvertArtifact {
  converted: ConvertResult;
  /** Which fake-quant model was converted, and its run. */
  of: 'calibration' | 'qat';
  sourceRunId: string;
  floatRunId: string | null;
  requantMode: 'multiplier' | 'float';
}

export async function convertArtifact(env: StageEnv, request: StageRequest): Promise<ConvertArtifact> {
  const runId = request.inputs.convert;
  if (!runId) throw new Error('convert result missing: this stage needs a convert run (the page sends its id)');
  return env.artifacts.get<ConvertArtifact>('convert', runId);
}

/** The fake-quant model the integer model was converted from, in eval + VALIDATION (the caller disposes it). */
export async function sourceModel(env: StageEnv, program: EvaluatedProgram, artifact: ConvertArtifact): Promise<{ model: PreparedModel; checkpoint: Checkpoint }> {
  const checkpoint = await env.artifacts.get<Checkpoint>(artifact.of, artifact.sourceRunId);
  const float = artifact.floatRunId ? await env.artifacts.get<Checkpoint>('float', artifact.floatRunId).catch(() => null) : null;
  const model = prepareStageModel(program, artifact.of, float ? { float_state_dict: stateDictOf(float) } : {});
  try {
    loadCheckpoint(model, checkpoint, `${artifact.of} checkpoint`);
    model.eval();
    set_fake_quantize(model, FakeQuantState.VALIDATION);
    return { model, checkpoint };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
