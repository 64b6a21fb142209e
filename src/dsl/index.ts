/**
 * What the worker and the page use of the DSL:
 *
 *   const r = loadSources({ 'model.ts': text1, 'qconfig.ts': text2 });   // evaluate + trace + fuse
 *   if (!r.ok) showMarkers(r.diagnostics);                                 // {file, line, column, message}
 *   r.graph.print_tabular(); graphSummary(r.graph);                        // the traced, fused model
 *   const calib = prepareStageModel(r.program, 'calibration', { float_state_dict });
 *   calib.check_result.text;                                               // model_check_result.txt
 *
 * Any error thrown later by user code (forward during a stage, setup hooks) maps to a diagnostic with
 * diagnosticFromError(e).
 */
export {
  evaluate,
  loadSources,
  traceModel,
  diagnosticFromError,
  MODEL_FILE,
  QCONFIG_FILE,
  type SourceFiles,
  type EvaluatedProgram,
  type EvaluateResult,
  type TraceResult,
  type Diagnostic,
} from './evaluate';
export { prepareStageModel, runStageSetup, type QuantStage, type StagePrepareOptions } from './stage';
export type { PlaygroundConfig, StageQuantConfig, CalibrationConfig, QatConfig } from './config';
export { EXAMPLES, DEFAULT_EXAMPLE, findExample, type Example } from './examples/index';
export { graphSummary, type GraphSummaryNode } from '../graph/summary';
export { DSL_MODULE_NAMES } from './modules';
export type { PreparedModel } from '../quant/prepare';
export type { CheckResult, CheckRow, CheckIssue } from '../quant/check_table';
