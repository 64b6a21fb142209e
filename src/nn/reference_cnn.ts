import { Module } from './module';
import { Conv2d } from './conv';
import { BatchNorm2d } from './norm';
import { ReLU } from './activation';
import { MaxPool2d, Flatten } from './pooling';
import { Linear } from './linear';
import { QuantStub, DeQuantStub } from './quant_stubs';
import type { Tensor } from '../engine/tensor';

/**
 * The reference CNN of the project (the default example): QuantStub → Conv2d(1,16,3,p=1) → BN → ReLU →
 * MaxPool2d(2) → Conv2d(16,32,3,p=1) → BN → ReLU → MaxPool2d(2) → flatten → Linear(1568,10) → DeQuantStub.
 */
export class ReferenceCNN extends Module {
  quant = new QuantStub();
  conv1 = new Conv2d(1, 16, 3, { padding: 1 });
  bn1 = new BatchNorm2d(16);
  relu1 = new ReLU();
  pool1 = new MaxPool2d(2);
  conv2 = new Conv2d(16, 32, 3, { padding: 1 });
  bn2 = new BatchNorm2d(32);
  relu2 = new ReLU();
  pool2 = new MaxPool2d(2);
  flatten = new Flatten();
  fc = new Linear(1568, 10);
  dequant = new DeQuantStub();

  override forward(x: Tensor): Tensor {
    x = this.quant(x);
    x = this.pool1(this.relu1(this.bn1(this.conv1(x))));
    x = this.pool2(this.relu2(this.bn2(this.conv2(x))));
    return this.dequant(this.fc(this.flatten(x)));
  }
}
