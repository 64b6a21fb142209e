/**
 * The compile stage: compile_model's downloads (.qatm, .onnx, the PyTorch script and its weights, the
 * check report) from the converted model and the QAT model it came from.
 */
import type { EvaluatedProgram } from '../dsl/evaluate';
import type { GraphModule } from '../graph/graph_module';
import type { CheckReport } from '../fixed/check_model';
import type { ConvertResult } from '../fixed/convert';
import type { MarchName } from '../fixed/march';
import { compile_model, type CompiledFile } from '../export/compile_model';
import type { OnnxStyle } from '../export/onnx/export';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD } from '../data/idx';
import type { StageContext, TrainSettings } from './types';

export interface CompileSettings {
  march: MarchName;
  onnxStyle: OnnxStyle;
  embedWeights: boolean;
}

export const COMPILE_DEFAULTS: CompileSettings = { march: 'bayes', onnxStyle: 'qoperator', embedWeights: false };

export interface CompileStageOptions {
  converted: ConvertResult;
  qat: GraphModule;
  settings?: Partial<CompileSettings>;
  /** The QAT stage's training settings (the script's defaults). */
  train?: TrainSettings;
  calibrationBatches?: number;
  /** Accuracy per stage (0..1) for the compiled file's metadata. */
  accuracy?: Record<string, number>;
  check?: CheckReport;
}

export interface CompileStageResult {
  settings: CompileSettings;
  files: CompiledFile[];
  check: CheckReport;
  seconds: number;
}

export async function runCompile(program: EvaluatedProgram, ctx: Pick<StageContext, 'test' | 'progress'>, options: CompileStageOptions): Promise<CompileStageResult> {
  const started = performance.now();
  const settings = { ...COMPILE_DEFAULTS, ...options.settings };
  ctx.progress({ stage: 'compile', fraction: 0.3, message: 'writing the compiled model, ONNX and the PyTorch script' });
  const floatModel = program.createModel();
  try {
    const { files, check } = await compile_model({
      converted: options.converted,
      qat: options.qat,
      floatModel,
      march: settings.march,
      onnxStyle: settings.onnxStyle,
      embedWeights: settings.embedWeights,
      train: options.train,
      calibrationBatches: options.calibrationBatches,
      normalization: { mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD },
      classes: ctx.test.classes,
      accuracy: options.accuracy,
      check: options.check,
    });
    ctx.progress({ stage: 'compile', fraction: 1, message: `${files.length} files` });
    return { settings, files, check, seconds: (performance.now() - started) / 1000 };
  } finally {
    floatModel.dispose();
  }
}
