/**
 * The float stage in the worker: evaluate the editor files, build the model from model.ts with the
 * stage's seed, trace it (unfused: the graph runs the user's layers), train it with trainFloat, and
 * keep its weights as the float checkpoint later stages start from.
 */
import { evaluate, traceModel } from '../../dsl/index';
import { manual_seed } from '../../nn/init';
import type { Module } from '../../nn/module';
import { StageCancelled } from '../../pipeline/types';
import { trainFloat } from '../../pipeline/train';
import { qconfigSettings } from '../analyze';
import { checkpointOf } from '../../pipeline/checkpoints';
import { firstDiagnostic, UserCodeError } from '../userCodeError';
import { resolveTrainSettings } from '../resolveSettings';
import type { MetricPoint, TrainStageResult } from '../results';
import type { StageRunner } from '../stages';

/** Errors that already say what is wrong (ours); anything else came from running user code. */
function isStageError(error: unknown): boolean {
  return error instanceof StageCancelled || (error instanceof Error && /^(float|qat|calibration|validation): /.test(error.message));
}

/** Steps between metric readbacks: enough points for the live charts, and the readback is asynchronous. */
export const LOG_EVERY = 5;

export const runFloat: StageRunner<'float'> = async (request, env) => {
  const started = performance.now();
  const { train, test } = env.state.datasets();
  const evaluated = evaluate(request.files);
  if (!evaluated.ok) throw firstDiagnostic(evaluated.diagnostics);
  const { program } = evaluated;
  const settings = resolveTrainSettings('float', request.settings, qconfigSettings(program));
  const made: Module[] = [program.model];
  try {
    // The same seed gives the same initial weights (PyTorch's manual_seed before building the model).
    manual_seed(settings.seed);
    const model = program.createModel();
    made.push(model);
    const traced = traceModel(model, { fuse: false });
    if (!traced.ok) throw firstDiagnostic(traced.diagnostics);
    made.push(traced.graph);
    let parameters = 0;
    for (const p of traced.graph.parameters()) parameters += p.numel;

    let result;
    try {
      result = await trainFloat(traced.graph, { train, test, signal: env.signal, progress: (p) => env.progress(p) }, settings, { logEvery: LOG_EVERY });
    } catch (error) {
      throw isStageError(error) ? error : UserCodeError.from(error);
    }
    const checkpoint = await checkpointOf(traced.graph, 'float', { runId: request.runId, accuracy: result.test.accuracy, settings });
    await env.artifacts.put('float', request.runId, checkpoint);

    const stepsPerEpoch = result.epochs > 0 ? result.steps / result.epochs : result.steps;
    const history: MetricPoint[] = result.history.map((h) => ({
      step: h.step,
      epoch: stepsPerEpoch > 0 ? Math.floor((h.step - 1) / stepsPerEpoch) : 0,
      loss: h.loss,
      accuracy: h.accuracy,
      lr: h.lr,
    }));
    const out: TrainStageResult = {
      runId: request.runId,
      seconds: (performance.now() - started) / 1000,
      settings: { ...settings },
      accuracy: result.test.accuracy,
      test: result.test,
      imagesPerSecond: result.imagesPerSecond,
      epochs: result.epochs,
      steps: result.steps,
      finalLoss: result.finalLoss,
      history,
      modelBytes: parameters * 4,
    };
    return out;
  } finally {
    const disposed = new Set<Module>();
    for (const m of made) {
      if (disposed.has(m)) continue;
      disposed.add(m);
      m.dispose();
    }
  }
};
