/**
 * compile_model(...): the downloads a person takes away, as Horizon's compile_model produces the .hbm:
 *
 *   <name>.qatm               the compiled model (src/export/qatm.ts) for the standalone runtime
 *                             (src/export/runtime/, WebGPU or CPU)
 *   <name>.onnx               the same integer model in ONNX (QOperator or integer style), for ONNX Runtime
 *   <name>_qat.py             a PyTorch script that rebuilds the model and qconfig in torch.ao.quantization
 *                             and continues QAT, with torch.distributed under torchrun
 *   <name>_weights.json       the trained weights that script loads
 *   model_check_result.txt    check_model's report for the target march
 */
import type { GraphModule } from '../graph/graph_module';
import type { Module } from '../nn/module';
import type { TrainSettings } from '../pipeline/types';
import { check_model, type CheckReport } from '../fixed/check_model';
import type { ConvertResult } from '../fixed/convert';
import type { MarchName } from '../fixed/march';
import { exportOnnx, type OnnxStyle } from './onnx/export';
import { writePytorchScript } from './pytorch/script';
import { floatStateDictKeys, weightsFile } from './pytorch/weights';
import { writeQatm, type QatmMetadata } from './qatm';

export interface CompiledFile {
  name: string;
  mime: string;
  data: Uint8Array<ArrayBuffer>;
  description: string;
}

export interface CompileOptions {
  /** The converted model (convert(qat_model)). */
  converted: ConvertResult;
  /** The prepared QAT model it came from (its weights and fake quantizers feed the PyTorch script). */
  qat: GraphModule;
  /** A fresh float model of model.ts (the script's module tree); without it, no script is written. */
  floatModel?: Module;
  march?: MarchName;
  onnxStyle?: OnnxStyle;
  /** Base of the file names (default: the model class name in snake_case). */
  name?: string;
  /** Put the weights inside the script instead of a separate JSON file. */
  embedWeights?: boolean;
  /** QAT settings for the script's defaults. */
  train?: Pick<TrainSettings, 'epochs' | 'batchSize' | 'lr' | 'momentum' | 'weightDecay' | 'optimizer'> & Partial<TrainSettings>;
  calibrationBatches?: number;
  normalization?: { mean: number; std: number };
  classes?: readonly string[];
  /** Accuracy per stage (0..1), stored in the .qatm metadata. */
  accuracy?: Record<string, number>;
  /** A check already run for this march (else it is run here). */
  check?: CheckReport;
}

export interface CompileResult {
  files: CompiledFile[];
  check: CheckReport;
}

function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toLowerCase().replace(/^_+|_+$/g, '') || 'model';
}

const FASHION_MNIST = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export async function compile_model(o: CompileOptions): Promise<CompileResult> {
  const march = o.march ?? 'bayes';
  const name = o.name ?? snakeCase(o.qat.original_name);
  const check = o.check && o.check.march === march ? o.check : await check_model(o.converted, march);
  const normalization = o.normalization ?? { mean: 0.286, std: 0.353 };
  const classes = [...(o.classes ?? FASHION_MNIST)];
  const text = (s: string) => new TextEncoder().encode(s);
  const metadata: QatmMetadata = {
    modelName: o.qat.original_name,
    classes,
    normalization,
    march,
    checkPassed: check.passed,
    ...(o.accuracy ? { accuracy: o.accuracy } : {}),
  };
  const files: CompiledFile[] = [
    {
      name: `${name}.qatm`,
      mime: 'application/octet-stream',
      data: writeQatm(o.converted.model, metadata),
      description: `Compiled fixed-point model (QATM v1, ${o.converted.model.mode} requantization); run it with the standalone runtime on WebGPU or CPU`,
    },
    {
      name: `${name}.onnx`,
      mime: 'application/octet-stream',
      data: exportOnnx(o.converted.model, {
        style: o.onnxStyle ?? 'qoperator',
        metadata: { classes: classes.join(','), normalization: JSON.stringify(normalization), march },
      }),
      description: `ONNX (opset 21, ${o.onnxStyle ?? 'qoperator'} style) of the fixed-point model for ONNX Runtime`,
    },
  ];
  if (o.floatModel) {
    const weights = JSON.stringify(await weightsFile(floatStateDictKeys(o.qat)));
    const script = await writePytorchScript({
      floatModel: o.floatModel,
      qatModel: o.qat,
      scriptFile: `${name}_qat.py`,
      weightsFile: `${name}_weights.json`,
      ...(o.embedWeights ? { embeddedWeights: weights } : {}),
      train: o.train ?? { epochs: 1, batchSize: 64, lr: 0.001, momentum: 0.9, weightDecay: 4e-5, optimizer: 'sgd' },
      calibrationBatches: o.calibrationBatches ?? 100,
      normalization,
      classes,
    });
    files.push({ name: `${name}_qat.py`, mime: 'text/x-python', data: text(script), description: 'PyTorch (torch.ao.quantization) script: the model, its qconfig, calibration and QAT with torchrun/DDP' });
    if (!o.embedWeights) {
      files.push({ name: `${name}_weights.json`, mime: 'application/json', data: text(weights), description: 'Trained float weights (state_dict keys, base64 float32) for the PyTorch script' });
    }
  }
  files.push({ name: 'model_check_result.txt', mime: 'text/plain', data: text(check.text), description: `check_model report for march ${march}` });
  return { files, check };
}
