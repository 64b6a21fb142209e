/**
 * The exports of the QAT'd reference CNN checked on the whole Fashion-MNIST test set:
 *
 * - fixed-point accuracy (both requantization modes) next to the fake-quant accuracy;
 * - the exported ONNX in onnxruntime-node against our executor ('float' mode), both styles: per quantized
 *   value the largest difference in LSB and how many integers differ, and argmax agreement (target:
 *   within 1 LSB, argmax equal on ≥ 99.9%);
 * - the compiled model (.qatm) in the standalone runtime: WebGPU identical to the in-page executor on all
 *   images, CPU identical on a subset (the CPU executor is slow);
 * - writes the downloads (compile_model) to --out and, with --sample, the runtime example's sample model.
 *
 *   npx vite-node scripts/export_check.ts -- [--checkpoint artifacts/checkpoints/qat.ckpt] [--test 0]
 *        [--cpu-images 500] [--out artifacts/export] [--sample public/examples/reference_cnn.qatm]
 *
 * The checkpoint is the QAT stage's (scripts/qat_reference.ts writes it). Without it: `--train N` trains
 * the float model one epoch on N training images and calibrates it (plain TypeScript, 256 images; no QAT),
 * `--weights file.json` takes float weights (scripts/train_reference.ts's output) and calibrates them the
 * same way, `--quick` calibrates a freshly initialised model: checks of the script, not the issue's figures.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gpuTestEnv } from '../src/testing/gpuEnv';

Object.assign(process.env, gpuTestEnv(process.env));
const { getTestDevice } = await import('../src/testing/gpu');
const { deviceAdapter } = await import('../src/engine/device');
const { Tensor } = await import('../src/engine/tensor');
const { evaluate: evaluateSources, findExample } = await import('../src/dsl/index');
const { prepareStageModel } = await import('../src/dsl/stage');
const { set_fake_quantize } = await import('../src/quant/fake_quant_state');
const { FakeQuantState } = await import('../src/quant/types');
const { FileCheckpointStore } = await import('../src/pipeline/checkpoints_node');
const { loadCheckpoint } = await import('../src/pipeline/checkpoints');
const { validate } = await import('../src/pipeline/validation');
const { evaluateFixed } = await import('../src/pipeline/fixed');
const { loadFashionMnist } = await import('../src/pipeline/testing/fashion_mnist');
const { convert } = await import('../src/fixed/convert');
const { IntegerExecutor } = await import('../src/fixed/gpu/executor');
const { runIntegerModelCpu } = await import('../src/fixed/executor_cpu');
const { compareStylesWithOrt } = await import('../src/export/onnx/ort_compare');
const { compile_model } = await import('../src/export/compile_model');
const { QatmRuntime } = await import('../src/export/runtime/index');
const { calibrateReference } = await import('../src/fixed/testing_qat');
type IntegerModel = import('../src/fixed/model').IntegerModel;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const checkpointPath = arg('checkpoint', 'artifacts/checkpoints/qat.ckpt');
const testSubset = Number(arg('test', '0'));
const cpuImages = Number(arg('cpu-images', '500'));
const outDir = arg('out', 'artifacts/export');
const samplePath = arg('sample', '');
const quick = process.argv.includes('--quick');
const trainImages = Number(arg('train', '0'));
const weightsPath = arg('weights', '');

const started = performance.now();
const clock = () => `[${((performance.now() - started) / 60000).toFixed(1)} min]`;
const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

await getTestDevice();
const adapter = deviceAdapter();
console.log(`adapter: ${adapter.vendor} ${adapter.architecture}`);
const data = loadFashionMnist();
const count = testSubset > 0 ? Math.min(testSubset, data.test.count) : data.test.count;
const images = data.test.images.subarray(0, count * 784);
const test = { ...data.test, count, images, labels: data.test.labels.subarray(0, count) };

const example = findExample('reference_cnn')!;
const evaluated = evaluateSources(example.files);
if (!evaluated.ok) throw new Error(evaluated.diagnostics.map((d) => d.message).join('\n'));
const program = evaluated.program;
let floatState: Map<string, Float32Array | Int32Array> | undefined;
if (weightsPath) {
  // scripts/train_reference.ts's file: { weights: { name: { shape, data } } } (its linear layer is `fc`).
  const { readFileSync } = await import('node:fs');
  const saved = JSON.parse(readFileSync(weightsPath, 'utf8')) as { weights: Record<string, { shape: number[]; data: number[] }> };
  floatState = new Map(Object.entries(saved.weights).map(([k, v]) => [k.replace(/^fc\./, 'classifier.'), Float32Array.from(v.data)]));
  console.log(`float weights: ${weightsPath}`);
} else if (trainImages > 0) {
  const { trainFloat } = await import('../src/pipeline/train');
  const { traceModel } = await import('../src/dsl/index');
  const floatModel = program.createModel();
  const traced = traceModel(floatModel, { fuse: false });
  if (!traced.ok) throw new Error('trace failed');
  const settings = { trainSubset: trainImages, testSubset: 0, epochs: 1, batchSize: 64, lr: 0.05, momentum: 0.9, weightDecay: 4e-5, optimizer: 'sgd' as const, schedule: 'constant' as const, stepSize: 1, gamma: 0.1, milestones: [], warmupEpochs: 0, seed: 0 };
  const r = await trainFloat(traced.graph, { train: data.train, test: test, signal: new AbortController().signal, progress: () => {} }, settings, { logEvery: 50 });
  console.log(`${clock()} float: 1 epoch on ${trainImages} images, test accuracy ${pct(r.test.accuracy)}`);
  floatState = new Map();
  for (const [k, t] of floatModel.state_dict()) floatState.set(k, (await t.read()).slice() as Float32Array | Int32Array);
  floatModel.dispose();
}
const qat = prepareStageModel(program, 'qat', floatState ? { float_state_dict: floatState } : {});
if (quick || trainImages > 0 || weightsPath) {
  qat.eval();
  await calibrateReference(qat, [[{ data: Float64Array.from(data.train.images.subarray(0, 256 * 784)), shape: [256, 1, 28, 28] }]]);
  console.log(`${weightsPath ? 'trained float weights' : trainImages > 0 ? `--train ${trainImages}` : '--quick: untrained model'}, plain-TypeScript calibration on 256 training images (no QAT)`);
} else {
  if (!existsSync(checkpointPath)) {
    console.error(`${checkpointPath} is missing: run "npx vite-node scripts/qat_reference.ts" first (it saves the QAT checkpoint), or pass --quick`);
    process.exit(2);
  }
  const store = new FileCheckpointStore(dirname(checkpointPath));
  const key = checkpointPath.split('/').pop()!.replace(/\.ckpt$/, '');
  const checkpoint = await store.load(key);
  if (!checkpoint) throw new Error(`${checkpointPath}: no checkpoint`);
  loadCheckpoint(qat, checkpoint, checkpointPath);
  console.log(`checkpoint: ${checkpointPath} (${checkpoint.kind})`);
}
qat.eval();
set_fake_quantize(qat, FakeQuantState.VALIDATION);
const fake = await validate(qat, test);
console.log(`${clock()} fake quant: ${pct(fake.accuracy)} on ${fake.count} images`);

const converted = { multiplier: await convert(qat, { mode: 'multiplier' }), float: await convert(qat, { mode: 'float' }) };
for (const mode of ['multiplier', 'float'] as const) {
  const r = await evaluateFixed(converted[mode].model, test, { backend: 'webgpu' });
  console.log(`${clock()} fixed point (${mode}): ${pct(r.accuracy)}  (fake quant − fixed = ${(100 * (fake.accuracy - r.accuracy)).toFixed(2)} points; ${r.imagesPerSecond.toFixed(0)} images/s)`);
}

let ok = true;
const styles = ['qoperator', 'integer'] as const;
for (const mode of ['float', 'multiplier'] as const) {
  const comparisons = await compareStylesWithOrt(converted[mode].model, images, { styles });
  comparisons.forEach((r, si) => {
    const style = styles[si];
    const worst = r.values.filter((v) => converted[mode].model.values.find((x) => x.name === v.name)!.dtype !== 'int32');
    const maxLsb = Math.max(...worst.map((v) => v.maxLsb));
    const differing = worst.reduce((a, v) => a + v.differing, 0);
    const total = worst.reduce((a, v) => a + v.count, 0);
    const argmax = r.argmaxEqual / r.count;
    console.log(
      `${clock()} ONNX ${style} vs ours (${mode} mode): max ${maxLsb} LSB on int8 values, ${differing} of ${total} integers differ; ` +
        `argmax equal ${r.argmaxEqual}/${r.count} (${pct(argmax)}); output max |Δ| ${r.outputMaxAbs.toExponential(2)}`,
    );
    for (const v of r.values) if (v.differing) console.log(`    ${v.name}: max ${v.maxLsb} LSB, ${v.differing}/${v.count} differ`);
    if (mode === 'float' && (maxLsb > 1 || argmax < 0.999)) ok = false;
  });
}

// The compiled file in the standalone runtime vs the in-page executor.
const model: IntegerModel = converted.multiplier.model;
const compiled = await compile_model({ converted: converted.multiplier, qat, floatModel: program.createModel(), march: 'bayes', accuracy: { fake_quant: fake.accuracy } });
const qatmBytes = compiled.files.find((f) => f.name.endsWith('.qatm'))!.data;
const gpuRuntime = await QatmRuntime.create(qatmBytes, { backend: 'webgpu' });
const executor = await IntegerExecutor.create(model);
let identical = 0;
for (let at = 0; at < count; at += 500) {
  const n = Math.min(500, count - at);
  const x = images.subarray(at * 784, (at + n) * 784);
  const ours = (await gpuRuntime.run(x))[model.outputs[0]];
  const t = Tensor.fromArray(x, [n, 1, 28, 28]);
  const results = executor.run({ [model.inputs[0]]: t });
  t.dispose();
  const page = await executor.read(model.outputs[0], results.get(model.outputs[0])!);
  for (const r of results.values()) r.dispose();
  for (let i = 0; i < n; i++) {
    let same = true;
    for (let j = 0; j < 10; j++) if (ours[i * 10 + j] !== page[i * 10 + j]) same = false;
    if (same) identical++;
  }
}
console.log(`${clock()} .qatm runtime (WebGPU) vs in-page executor: ${identical}/${count} images with identical outputs`);
if (identical !== count) ok = false;
const cpuN = Math.min(cpuImages, count);
const cpuRuntime = await QatmRuntime.create(qatmBytes, { backend: 'cpu' });
const cpuOut = (await cpuRuntime.run(images.subarray(0, cpuN * 784)))[model.outputs[0]];
const cpuRef = runIntegerModelCpu(model, { [model.inputs[0]]: images.subarray(0, cpuN * 784) }).get(model.outputs[0])!;
const cpuSame = cpuOut.every((v, i) => v === cpuRef[i]);
console.log(`${clock()} .qatm runtime (CPU) vs in-page CPU executor on ${cpuN} images: ${cpuSame ? 'identical' : 'DIFFERENT'}`);
if (!cpuSame) ok = false;
gpuRuntime.dispose();
cpuRuntime.dispose();
executor.dispose();

mkdirSync(outDir, { recursive: true });
for (const f of compiled.files) writeFileSync(join(outDir, f.name), f.data);
console.log(`${clock()} downloads written to ${outDir}: ${compiled.files.map((f) => `${f.name} (${f.data.length} bytes)`).join(', ')}`);
if (samplePath) {
  mkdirSync(dirname(samplePath), { recursive: true });
  writeFileSync(samplePath, qatmBytes);
  console.log(`sample model written: ${samplePath}`);
}
console.log(ok ? 'export check: ok' : 'export check: FAILED');
process.exit(ok ? 0 : 1);
