/**
 * The code check: evaluate both editor files, trace and fuse the model, prepare it for calibration and
 * for QAT (with fresh float weights; no data is read), and report the graphs and check tables. Any
 * failure comes back as diagnostics with file, line and column for the editor's markers.
 */
import { diagnosticFromError, graphSummary, loadSources, prepareStageModel, traceModel, type EvaluatedProgram } from '../dsl/index';
import type { Module } from '../nn/module';
import type { AnalysisResult, QconfigSettings, SourceTexts } from './results';

const DATA_KEYS = ['trainSubset', 'testSubset', 'seed'];
const TRAIN_KEYS = ['epochs', 'batchSize', 'lr', 'momentum', 'weightDecay', 'optimizer', 'schedule', 'stepSize', 'gamma', 'milestones', 'warmupEpochs'];

function pick(source: object, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = (source as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = Array.isArray(value) ? [...value] : value;
  }
  return out;
}

/** The plain-data settings of qconfig.ts's stages (functions and setters left out). */
export function qconfigSettings(program: EvaluatedProgram): QconfigSettings {
  const { config } = program;
  return {
    float: pick(config.float, [...DATA_KEYS, ...TRAIN_KEYS]),
    calibration: pick(config.calibration, ['calibrationBatches', 'batchSize']),
    qat: pick(config.qat, [...DATA_KEYS, ...TRAIN_KEYS]),
  };
}

export function analyzeSources(files: SourceTexts): AnalysisResult {
  const started = performance.now();
  const loaded = loadSources(files);
  if (!loaded.ok) return { ok: false, diagnostics: loaded.diagnostics };
  const { program, graph } = loaded;
  const made: Module[] = [program.model, graph];
  try {
    const unfused = program.createModel();
    made.push(unfused);
    const traced = traceModel(unfused, { fuse: false });
    if (!traced.ok) return { ok: false, diagnostics: traced.diagnostics };
    made.push(traced.graph);
    const calibration = prepareStageModel(program, 'calibration');
    made.push(calibration);
    const qat = prepareStageModel(program, 'qat');
    made.push(qat);
    let parameters = 0;
    for (const p of program.model.parameters()) parameters += p.numel;
    return {
      ok: true,
      traced: graphSummary(traced.graph),
      fused: graphSummary(qat, qat.check_result),
      check: { calibration: structuredClone(calibration.check_result), qat: structuredClone(qat.check_result) },
      qconfigSettings: qconfigSettings(program),
      parameters,
      floatBytes: parameters * 4,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    return { ok: false, diagnostics: [diagnosticFromError(error)] };
  } finally {
    // Models made here hold device buffers in the worker; the check keeps none of them.
    const disposed = new Set<Module>();
    for (const model of made) {
      if (disposed.has(model)) continue;
      disposed.add(model);
      try {
        model.dispose();
      } catch {
        // A model sharing parameters with one already disposed: nothing left to free.
      }
    }
  }
}
