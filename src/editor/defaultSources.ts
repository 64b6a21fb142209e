/**
 * The two editor files and their default text: the reference CNN and its qconfig. The DSL's own
 * example sources (src/dsl/examples/) replace these texts once they exist.
 */
export const SOURCE_FILES = ['model.ts', 'qconfig.ts'] as const;
export type SourceFile = (typeof SOURCE_FILES)[number];

const MODEL_TS = `import { nn, torch, type Tensor } from "torch";
import { QuantStub, DeQuantStub } from "horizon_plugin_pytorch/quantization";

/**
 * The reference CNN for Fashion-MNIST (1×28×28 grayscale images, 10 classes).
 * QuantStub and DeQuantStub mark where the quantized part of the model begins and ends.
 */
export default class Net extends nn.Module {
  quant = new QuantStub();
  conv1 = new nn.Conv2d(1, 16, 3, { padding: 1 });
  bn1 = new nn.BatchNorm2d(16);
  relu1 = new nn.ReLU();
  pool1 = new nn.MaxPool2d(2);
  conv2 = new nn.Conv2d(16, 32, 3, { padding: 1 });
  bn2 = new nn.BatchNorm2d(32);
  relu2 = new nn.ReLU();
  pool2 = new nn.MaxPool2d(2);
  classifier = new nn.Linear(32 * 7 * 7, 10);
  dequant = new DeQuantStub();

  forward(x: Tensor): Tensor {
    x = this.quant(x);
    x = this.pool1(this.relu1(this.bn1(this.conv1(x))));
    x = this.pool2(this.relu2(this.bn2(this.conv2(x))));
    x = torch.flatten(x, 1);
    x = this.classifier(x);
    return this.dequant(x);
  }
}
`;

const QCONFIG_TS = `import {
  defineConfig,
  default_calibration_qconfig_setter,
  default_qat_qconfig_setter,
} from "horizon_plugin_pytorch/quantization";

/**
 * How each stage quantizes the model. Setters apply in order and the first one that matches an op
 * wins. The default templates give every conv/linear int8 weights (per channel) and int8 activations;
 * the final Linear keeps a high-precision int32 output.
 *
 * To change single ops, put a ModuleNameQconfigSetter first, e.g. int16 activations for conv2:
 *   qconfig_setter: [
 *     ModuleNameQconfigSetter({ conv2: get_qconfig({ observer: MinMaxObserver, out_dtype: qint16 }) }),
 *     default_qat_qconfig_setter,
 *   ]
 */
export default defineConfig({
  float: { epochs: 3, batchSize: 64, lr: 0.05, momentum: 0.9, weightDecay: 4e-5, optimizer: "sgd" },
  calibration: {
    qconfig_setter: [default_calibration_qconfig_setter],
    calibrationBatches: 100,
  },
  qat: {
    qconfig_setter: [default_qat_qconfig_setter],
    // Horizon's recommendation: lr 0.001, about 10% of the float epochs, weight decay as in float.
    epochs: 1,
    lr: 0.001,
    momentum: 0.9,
    weightDecay: 4e-5,
    optimizer: "sgd",
  },
});
`;

export const DEFAULT_SOURCES: Record<SourceFile, string> = {
  'model.ts': MODEL_TS,
  'qconfig.ts': QCONFIG_TS,
};
