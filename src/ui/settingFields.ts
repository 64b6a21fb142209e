/** The settings forms: which fields each group shows, how they are typed, and their help text. */
import type { SettingGroup } from '../store/settings';

export type FieldKind = 'int' | 'number' | 'select' | 'list' | 'bool';

export interface SettingField {
  key: string;
  label: string;
  kind: FieldKind;
  options?: readonly string[];
  help: string;
}

const TRAIN_FIELDS: SettingField[] = [
  { key: 'epochs', label: 'epochs', kind: 'int', help: 'Passes over the training subset.' },
  { key: 'batchSize', label: 'batch size', kind: 'int', help: 'Images per step.' },
  { key: 'lr', label: 'lr', kind: 'number', help: 'Learning rate.' },
  { key: 'momentum', label: 'momentum', kind: 'number', help: 'SGD momentum (Adam: β1).' },
  { key: 'weightDecay', label: 'weight decay', kind: 'number', help: 'L2 penalty (decoupled for AdamW).' },
  { key: 'optimizer', label: 'optimizer', kind: 'select', options: ['sgd', 'adam', 'adamw'], help: 'torch.optim.SGD, Adam or AdamW.' },
  { key: 'schedule', label: 'schedule', kind: 'select', options: ['constant', 'step', 'multistep', 'cosine'], help: 'StepLR (step size, γ), MultiStepLR (milestones), CosineAnnealingLR.' },
  { key: 'stepSize', label: 'step size', kind: 'number', help: 'StepLR: epochs between decays (QAT: a third of the run by default).' },
  { key: 'gamma', label: 'γ', kind: 'number', help: 'Decay factor of StepLR / MultiStepLR.' },
  { key: 'milestones', label: 'milestones', kind: 'list', help: 'MultiStepLR: epochs at which lr is multiplied by γ, e.g. "1, 2".' },
  { key: 'warmupEpochs', label: 'warmup epochs', kind: 'int', help: 'Linear warmup before the schedule.' },
];

export const SETTING_FIELDS: Record<SettingGroup, SettingField[]> = {
  data: [
    { key: 'trainSubset', label: 'train images (0 = all)', kind: 'int', help: 'Training images used (a seeded random subset); 0 = all 60,000.' },
    { key: 'testSubset', label: 'test images (0 = all)', kind: 'int', help: 'Test images evaluated; 0 = all 10,000.' },
    { key: 'seed', label: 'seed', kind: 'int', help: 'Seed of the subset shuffle and of the weight initialisation.' },
  ],
  float: TRAIN_FIELDS,
  calibration: [
    { key: 'calibrationBatches', label: 'batches', kind: 'int', help: 'Batches the observers see (Horizon: 100).' },
    { key: 'batchSize', label: 'batch size', kind: 'int', help: 'Images per calibration batch.' },
  ],
  qat: TRAIN_FIELDS,
  convert: [
    { key: 'from', label: 'from', kind: 'select', options: ['qat', 'calibration'], help: 'Which fake-quant model becomes the integer model.' },
    {
      key: 'requantMode',
      label: 'requantization',
      kind: 'select',
      options: ['multiplier', 'float'],
      help: 'Integer multiplier and shift (a chip, gemmlowp) or float32 rounding (PyTorch qnnpack, ONNX Runtime).',
    },
  ],
  check: [
    { key: 'march', label: 'march', kind: 'select', options: ['bayes', 'bernoulli2'], help: 'check_model target: BAYES (int8/int16) or BERNOULLI2 (int8 only).' },
  ],
  compile: [
    { key: 'onnxStyle', label: 'ONNX style', kind: 'select', options: ['qoperator', 'integer'], help: 'QLinearConv/QLinearMatMul, or ConvInteger/MatMulInteger with explicit requantization.' },
    { key: 'embedWeights', label: 'weights in script', kind: 'bool', options: ['false', 'true'], help: 'Put the weights inside the PyTorch script instead of a JSON file beside it.' },
  ],
  sensitivity: [
    { key: 'metric', label: 'metric', kind: 'select', options: ['L1', 'SQNR', 'accuracy'], help: 'Metric of the table the order, the download and mixed precision use.' },
    { key: 'mode', label: 'mode', kind: 'select', options: ['only', 'all_but'], help: 'Only this op quantized, or every op but this one.' },
    { key: 'sqnrImages', label: 'SQNR images', kind: 'int', help: 'Test images of the per-layer SQNR (its fixed-point side runs on the CPU).' },
    { key: 'mixedPrecision', label: 'mixed precision', kind: 'bool', options: ['false', 'true'], help: 'Search the smallest set of int16 ops that brings fixed-point accuracy within the target of float.' },
    { key: 'target', label: 'target drop', kind: 'number', help: 'Allowed fixed-point accuracy drop from float for mixed precision, 0..1 (0.01 = one point).' },
    { key: 'calibrationBatches', label: 'calibration batches', kind: 'int', help: 'Calibration batches of each mixed-precision candidate.' },
  ],
};

/** Parses what was typed into a field; throws a message for the field. */
export function parseField(field: SettingField, text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  switch (field.kind) {
    case 'int':
    case 'number': {
      const value = Number(trimmed);
      if (!Number.isFinite(value)) throw new Error(`${field.label}: "${trimmed}" is not a number`);
      return value;
    }
    case 'list':
      return trimmed.split(/[\s,]+/).filter(Boolean).map(Number);
    case 'select':
      return trimmed;
    case 'bool':
      return trimmed === 'true';
  }
}

export function formatFieldValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Number(value.toPrecision(6)));
  return String(value);
}
