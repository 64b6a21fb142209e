/**
 * The two editor files and their default text: the reference CNN and its qconfig. The DSL's own
 * example sources (src/dsl/examples/) replace these texts once they exist.
 */
export const SOURCE_FILES = ['model.ts', 'qconfig.ts'] as const;
export type SourceFile = (typeof SOURCE_FILES)[number];

const MODEL_TS = `import { nn, torch, QuantStub, DeQuantStub, type Tensor } from 'qat';

/**
 * The reference CNN for Fashion-MNIST (1×28×28 grayscale, 10 classes):
 * QuantStub → Conv2d(1,16,3,padding=1) → BatchNorm2d(16) → ReLU → MaxPool2d(2)
 *           → Conv2d(16,32,3,padding=1) → BatchNorm2d(32) → ReLU → MaxPool2d(2)
 *           → flatten → Linear(1568,10) → DeQuantStub
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
  default_calibration_qconfig_setter,
  default_qat_qconfig_setter,
} from 'qat';

/**
 * Quantization config, as in the Horizon QAT templates: setters apply in order and the first match
 * wins. The default int8 template quantizes every conv/linear; the final Linear keeps a high-precision
 * int32 output.
 */

/** Calibration: observers collect statistics (FakeQuantState.CALIBRATION). */
export const calibration_qconfig_setter = [default_calibration_qconfig_setter];

/** QAT: observers update and outputs are fake-quantized (FakeQuantState.QAT). */
export const qat_qconfig_setter = [default_qat_qconfig_setter];
`;

export const DEFAULT_SOURCES: Record<SourceFile, string> = {
  'model.ts': MODEL_TS,
  'qconfig.ts': QCONFIG_TS,
};
