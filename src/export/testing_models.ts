/**
 * Test helper: gallery examples prepared, given random BN statistics and calibrated in plain TypeScript
 * (no engine ops needed), then converted — realistic integer models for export tests.
 */
import { evaluate } from '../dsl/evaluate';
import { findExample } from '../dsl/examples/index';
import { prepareStageModel } from '../dsl/stage';
import type { PreparedModel } from '../quant/prepare';
import { convert, type ConvertResult } from '../fixed/convert';
import type { RequantMode } from '../fixed/requant';
import { seeded } from '../fixed/testing';
import { calibrateReference, randomizeBatchNorm, type Act } from '../fixed/testing_qat';
import { fashionMnistTest } from '../fixed/testing_mnist';

export function testImages(count: number, offset = 0): { images: Float32Array; labels: Int32Array } {
  const data = fashionMnistTest(offset + count);
  return { images: data.images.slice(offset * 784, (offset + count) * 784), labels: data.labels.slice(offset, offset + count) };
}

/** Two conv branches of different scales concatenated along channels (cat), then conv, pool, linear. */
export const CAT_NET = {
  'model.ts': `import { nn, torch, type Tensor } from "torch";
import { QuantStub, DeQuantStub } from "horizon_plugin_pytorch/quantization";
export default class CatNet extends nn.Module {
  quant = new QuantStub();
  a = new nn.Conv2d(1, 6, 3, { padding: 1 });
  relu_a = new nn.ReLU();
  b = new nn.Conv2d(1, 3, 5, { padding: 2 });
  c = new nn.Conv2d(9, 8, 3, { padding: 1, stride: 2 });
  relu_c = new nn.ReLU();
  pool = new nn.MaxPool2d(2);
  classifier = new nn.Linear(8 * 7 * 7, 10);
  dequant = new DeQuantStub();
  forward(x: Tensor): Tensor {
    x = this.quant(x);
    const y = torch.cat([this.relu_a(this.a(x)), this.b(x)], 1);
    return this.dequant(this.classifier(torch.flatten(this.pool(this.relu_c(this.c(y))), 1)));
  }
}`,
  'qconfig.ts': `import { defineConfig, default_qat_qconfig_setter } from "horizon_plugin_pytorch/quantization";
export default defineConfig({ qat: { qconfig_setter: [default_qat_qconfig_setter] } });`,
};

/** The reference CNN with affine quint8 activations (zero points ≠ 0), int8 per-channel weights, int32 output. */
export const AFFINE_CNN = {
  'model.ts': '',
  'qconfig.ts': `import { defineConfig, QConfig, FakeQuantize, MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver, quint8, qint8 } from "horizon_plugin_pytorch/quantization";
const act = FakeQuantize.with_args({ observer: MovingAverageMinMaxObserver, dtype: quint8, qscheme: "per_tensor_affine" });
const weight = FakeQuantize.with_args({ observer: MovingAveragePerChannelMinMaxObserver, dtype: qint8, qscheme: "per_channel_symmetric", ch_axis: 0 });
export default defineConfig({ qat: { set_qconfig(model) {
  model.qconfig = QConfig({ output: act, weight });
  model.classifier.qconfig = QConfig({ output: null, weight });
} } });`,
};

const SOURCES: Record<string, { 'model.ts': string; 'qconfig.ts': string }> = {
  cat_net: CAT_NET,
  affine_cnn: { ...AFFINE_CNN, 'model.ts': findExample('reference_cnn')!.files['model.ts'] },
};

export async function calibratedExample(id: string, seed = 1): Promise<PreparedModel> {
  const r = evaluate(SOURCES[id] ?? findExample(id)!.files);
  if (!r.ok) throw new Error(`${id}: ${JSON.stringify(r.diagnostics)}`);
  const m = prepareStageModel(r.program, 'qat');
  m.eval();
  randomizeBatchNorm(m, seeded(seed));
  const calib: Act = { data: Float64Array.from(testImages(32, 200).images), shape: [32, 1, 28, 28] };
  await calibrateReference(m, [[calib]]);
  return m;
}

const calibrated = new Map<string, Promise<PreparedModel>>();

/** Converted (the calibrated model is made once per example and seed in a test file; treat it as read-only). 'cat_net' is CAT_NET, 'affine_cnn' AFFINE_CNN. */
export async function convertedExample(id: string, mode: RequantMode = 'multiplier', seed = 1): Promise<ConvertResult & { qat: PreparedModel }> {
  const key = `${id}/${seed}`;
  if (!calibrated.has(key)) calibrated.set(key, calibratedExample(id, seed));
  const qat = await calibrated.get(key)!;
  return { ...(await convert(qat, { mode })), qat };
}
