/**
 * The examples gallery: each is a pair of editor files (model.ts, qconfig.ts). All take Fashion-MNIST
 * images [N, 1, 28, 28] and give 10 logits, so every stage of the page runs on them.
 */
import referenceModel from './reference_cnn/model.txt?raw';
import referenceQconfig from './reference_cnn/qconfig.txt?raw';
import residualModel from './residual/model.txt?raw';
import residualQconfig from './residual/qconfig.txt?raw';
import smallModel from './small_model/model.txt?raw';
import smallQconfig from './small_model/qconfig.txt?raw';
import addNetModel from './add_net/model.txt?raw';
import addNetQconfig from './add_net/qconfig.txt?raw';
import freezeModel from './freeze_backbone/model.txt?raw';
import freezeQconfig from './freeze_backbone/qconfig.txt?raw';
import int16Model from './int16/model.txt?raw';
import int16Qconfig from './int16/qconfig.txt?raw';

export interface Example {
  id: string;
  title: string;
  description: string;
  files: { 'model.ts': string; 'qconfig.ts': string };
}

export const EXAMPLES: readonly Example[] = [
  {
    id: 'reference_cnn',
    title: 'Reference CNN',
    description: 'Two conv-bn-relu-pool stages and a linear classifier; int8 templates, int32 classifier output.',
    files: { 'model.ts': referenceModel, 'qconfig.ts': referenceQconfig },
  },
  {
    id: 'residual',
    title: 'Residual block (conv-bn-add-relu)',
    description: 'Residual blocks whose second conv, bn, add and relu fuse into one ConvBnAddReLU2d.',
    files: { 'model.ts': residualModel, 'qconfig.ts': residualQconfig },
  },
  {
    id: 'small_model',
    title: 'SmallModel with linear2 in int16',
    description: 'Linear/LayerNorm/ReLU/Linear/Linear; ModuleNameQconfigSetter gives linear2 int16 weights and outputs.',
    files: { 'model.ts': smallModel, 'qconfig.ts': smallQconfig },
  },
  {
    id: 'add_net',
    title: 'AddNet with fixed scales',
    description: 'Two QuantStubs and an add with fixed input and output scales (FixedScaleObserver).',
    files: { 'model.ts': addNetModel, 'qconfig.ts': addNetQconfig },
  },
  {
    id: 'freeze_backbone',
    title: 'Freeze the backbone, train the head',
    description: 'QAT with the backbone frozen (no grad, eval, VALIDATION) and the head in QAT.',
    files: { 'model.ts': freezeModel, 'qconfig.ts': freezeQconfig },
  },
  {
    id: 'int16',
    title: 'int16 everything',
    description: 'The reference CNN with int16 weights and activations, set in the eager style (model.qconfig).',
    files: { 'model.ts': int16Model, 'qconfig.ts': int16Qconfig },
  },
];

/** The default editor files: the reference CNN. */
export const DEFAULT_EXAMPLE: Example = EXAMPLES[0]!;

export function findExample(id: string): Example | undefined {
  return EXAMPLES.find((e) => e.id === id);
}
