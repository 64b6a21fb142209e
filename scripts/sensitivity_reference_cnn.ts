/**
 * Sensitivity, per-layer SQNR and mixed precision on the reference CNN with Fashion-MNIST (Node, Dawn on
 * SwiftShader): a short float training, then the sensitivity stage with the example's qconfig.ts
 * (calibration template: MSE observers; int16 candidates through the calibration sensitive_op setter).
 *
 *   npx vite-node scripts/sensitivity_reference_cnn.ts [trainImages=6400] [testImages=256]
 *
 * Measured 2026-11-22 on 2 busy cores (3200 training images, 256 test images; SwiftShader): training 89 s,
 * the stage 510 s (10 one-at-a-time runs over 256 images, per-layer SQNR on 32, one mixed-precision
 * candidate: 20 calibration batches + fixed-point accuracy on the CPU). Float 73.0%, all int8 73.0%
 * (output SQNR 43.6 dB); by L1 and SQNR (only this op quantized) conv1 then conv2; per-layer fixed-point
 * SQNR within 0.06 dB of fake quant (conv2 35.4 dB, classifier 43.0 dB); mixed precision: all int8 is
 * already within 0.5 points in fixed point, so no int16 op.
 */
import { gpuTestEnv } from '../src/testing/gpuEnv';
Object.assign(process.env, gpuTestEnv(process.env));
const { getTestDevice } = await import('../src/testing/gpu');
const { evaluate, findExample, traceModel } = await import('../src/dsl/index');
const { Tensor, tidy } = await import('../src/engine/tensor');
const { F } = await import('../src/engine/functional');
const { backward } = await import('../src/engine/autograd');
const { flush } = await import('../src/engine/commands');
const { getDevice } = await import('../src/engine/device');
const { SGD } = await import('../src/optim/sgd');
const { parseIdx, toDataset } = await import('../src/data/idx');
const { runSensitivity } = await import('../src/pipeline/sensitivity');
const { readFileSync } = await import('node:fs');
const { gunzipSync } = await import('node:zlib');

const trainCount = Number(process.argv[2] ?? 6400);
const testCount = Number(process.argv[3] ?? 256);
await getTestDevice();
const dir = 'public/datasets/fashion-mnist/';
const load = (images: string, labels: string) =>
  toDataset(parseIdx(gunzipSync(readFileSync(dir + images)), images), parseIdx(gunzipSync(readFileSync(dir + labels)), labels));
const train = load('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz');
const test = load('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz');

const example = findExample('reference_cnn')!;
const r = evaluate(example.files);
if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
const program = r.program;

let started = performance.now();
const traced = traceModel(program.createModel(), { fuse: false });
if (!traced.ok) throw new Error(JSON.stringify(traced.diagnostics));
const floatModel = traced.graph;
floatModel.train();
const optimizer = new SGD(floatModel.parameters(), { lr: 0.05, momentum: 0.9 });
const per = 784;
for (let start = 0; start + 64 <= trainCount; start += 64) {
  tidy(() => {
    const x = Tensor.fromArray(train.images.subarray(start * per, (start + 64) * per), [64, 1, 28, 28]);
    const y = Tensor.fromArray(train.labels.subarray(start, start + 64), [64], 'int32');
    optimizer.zero_grad();
    backward(F.cross_entropy(floatModel(x), y));
    optimizer.step();
  });
  flush();
  if ((start / 64) % 10 === 0) await getDevice().queue.onSubmittedWorkDone();
}
await getDevice().queue.onSubmittedWorkDone();
console.log(`float training on ${trainCount} images: ${((performance.now() - started) / 1000).toFixed(1)} s`);
const float_state_dict = floatModel.state_dict();

started = performance.now();
const report = await runSensitivity(
  program,
  { train, test, progress: () => {}, signal: new AbortController().signal },
  { float_state_dict, settings: { testSubset: testCount, batchSize: 64, calibrationBatches: 10, target: 0.005 } },
);
console.log(`sensitivity stage: ${((performance.now() - started) / 1000).toFixed(1)} s (report says ${report.seconds.toFixed(1)} s)`);
console.log(`float accuracy ${report.float_accuracy}, all quantized ${JSON.stringify(report.all_quantized)}`);
for (const t of report.tables) console.log(`${t.metric}/${t.mode}:`, JSON.stringify(t.rows));
console.log('layers:', JSON.stringify(report.layers, null, 0), JSON.stringify(report.fixed));
const m = report.mixed!;
console.log('mixed:', JSON.stringify({ int16: m.int16, reached: m.reached, baseline: m.baseline, chosen: m.chosen, cost: m.cost, candidates: m.candidates.map((c) => [c.int16, c.accuracy, c.measured_on]) }));
process.exit(0);
