/**
 * What a calibration or QAT stage does with the evaluated files before it runs batches: a fresh float
 * model (PyTorch's examples deepcopy the float model for each stage), the float weights loaded, the
 * eager qconfigs of qconfig.ts applied, prepare with the stage's setters; after set_fake_quantize, the
 * stage's `setup(model)` (e.g. freezing a backbone). Errors in user hooks point into qconfig.ts.
 */
import type { StateDict } from '../nn/state';
import { prepare, type PreparedModel } from '../quant/prepare';
import { default_calibration_qconfig_setter, default_qat_qconfig_setter } from '../quant/setters';
import type { EvaluatedProgram } from './evaluate';

export type QuantStage = 'calibration' | 'qat';

export interface StagePrepareOptions {
  /** The trained float weights (the float model's state_dict). */
  float_state_dict?: StateDict;
  /** One batch, to check the input count. */
  example_inputs?: unknown;
}

export function prepareStageModel(program: EvaluatedProgram, stage: QuantStage, options: StagePrepareOptions = {}): PreparedModel {
  const config = program.config[stage];
  const model = program.createModel();
  if (options.float_state_dict) model.load_state_dict(options.float_state_dict);
  config.set_qconfig?.(model);
  // Neither setters nor eager qconfigs: the stage's default template.
  const setters =
    config.qconfig_setter.length || config.set_qconfig
      ? config.qconfig_setter
      : [stage === 'calibration' ? default_calibration_qconfig_setter : default_qat_qconfig_setter];
  return prepare(model, {
    example_inputs: options.example_inputs,
    qconfig_setter: setters,
    high_precision_output: config.high_precision_output ?? true,
  });
}

/** The stage's `setup(model)` from qconfig.ts, if any (call it after set_fake_quantize). */
export function runStageSetup(program: EvaluatedProgram, stage: QuantStage, model: PreparedModel): void {
  program.config[stage].setup?.(model);
}
