/**
 * The reference CNN through float → calibration → QAT → fixed point on Fashion-MNIST, with the stages
 * of src/pipeline/ on this machine's WebGPU device (Dawn), and the issue's targets:
 *
 *   calibration-only fake-quant accuracy within 0.5 points of float;
 *   after 1 QAT epoch, at least float − 0.2 (PyTorch: float 88.29%, QAT 89.28%);
 *   fixed-point int8 (convert + the integer executor) within 0.3 points of its fake-quant model.
 *
 *   npm run qat:reference [-- --weights artifacts/reference_cnn.json --calibration-batches 100
 *                            --qat-epochs 1 --observer default|minmax --train 0 --test 0]
 *
 * `--train N` / `--test N` use the first N images of a seeded shuffle / of the test set (0 = all): a quick
 * check of the script, not the figures.
 *
 * Float weights come from `npm run train:reference` (artifacts/reference_cnn.json) when it has been run;
 * otherwise the float model is trained here once with the same recipe (3 epochs, SGD lr 0.05, momentum
 * 0.9, weight decay 4e-5, batch 64) and kept in artifacts/qat_reference_float.json. The example's qconfig.ts is used as the page has it (MSE calibration
 * observers, MinMax QAT observers, int8 with an int32 classifier output); `--observer minmax` calibrates
 * with the QAT template's observers instead. Checkpoints go to artifacts/checkpoints/.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gpuTestEnv } from '../src/testing/gpuEnv';
import { DEFAULT_FLOAT } from '../src/store/settings';

Object.assign(process.env, gpuTestEnv(process.env));
const { getTestDevice, closeTestDevice } = await import('../src/testing/gpu');
const { deviceAdapter } = await import('../src/engine/device');
const { Tensor } = await import('../src/engine/tensor');
const { evaluate: evaluateSources, findExample, traceModel } = await import('../src/dsl/index');
const { trainFloat, evaluate } = await import('../src/pipeline/train');
const { runCalibration } = await import('../src/pipeline/calibration');
const { runQat } = await import('../src/pipeline/qat');
const { FileCheckpointStore } = await import('../src/pipeline/checkpoints_node');
const { loadFashionMnist } = await import('../src/pipeline/testing/fashion_mnist');
const { convert } = await import('../src/fixed/convert');
const { IntegerExecutor } = await import('../src/fixed/gpu/executor');
type StageProgress = import('../src/pipeline/types').StageProgress;
type TrainSettings = import('../src/pipeline/types').TrainSettings;
type ImageDataset = import('../src/data/idx').ImageDataset;
type GraphModule = import('../src/graph/graph_module').GraphModule;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

// train_reference.ts's weights when they exist; else this script's own (trained on the first run).
const weightsPath = arg('weights', existsSync('artifacts/reference_cnn.json') ? 'artifacts/reference_cnn.json' : 'artifacts/qat_reference_float.json');
const calibrationBatches = Number(arg('calibration-batches', '100'));
const qatEpochs = Number(arg('qat-epochs', '1'));
const testSubset = Number(arg('test', '0'));
const trainSubset = Number(arg('train', '0'));
const observer = arg('observer', 'default');

const FLOAT: TrainSettings = { ...DEFAULT_FLOAT, trainSubset, testSubset, seed: 0 };

const started = performance.now();
const clock = () => `${((performance.now() - started) / 60000).toFixed(1)} min`;
let lastLine = 0;
function progress(p: StageProgress): void {
  const now = performance.now();
  if (now - lastLine < 15_000 && p.fraction < 1) return;
  lastLine = now;
  const parts = [`[${clock()}] ${p.stage}`];
  if (p.step !== undefined) parts.push(`step ${p.step}/${p.totalSteps}`);
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(4)}`, `acc ${(100 * p.accuracy!).toFixed(1)}%`);
  if (p.lr !== undefined) parts.push(`lr ${p.lr.toExponential(1)}`);
  if (p.imagesPerSecond) parts.push(`${p.imagesPerSecond.toFixed(1)} images/s`);
  if (p.etaSeconds !== undefined) parts.push(`ETA ${Math.round(p.etaSeconds)} s`);
  if (p.message) parts.push(p.message);
  console.log(parts.join('  '));
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

await getTestDevice();
const adapter = deviceAdapter();
console.log(`adapter: ${adapter.vendor} ${adapter.architecture} (${adapter.description})`);
const data = loadFashionMnist();
const ctx = { train: data.train, test: data.test, progress, signal: new AbortController().signal };

const example = findExample('reference_cnn')!;
let qconfig = example.files['qconfig.ts'];
if (observer === 'minmax') qconfig = qconfig.replace('qconfig_setter: [default_calibration_qconfig_setter],', 'qconfig_setter: [default_qat_qconfig_setter],');
const evaluated = evaluateSources({ ...example.files, 'qconfig.ts': qconfig });
if (!evaluated.ok) throw new Error(evaluated.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.message}`).join('\n'));
const program = evaluated.program;

// ---- float ----------------------------------------------------------------------------------------
const floatModel = program.createModel();
const traced = traceModel(floatModel, { fuse: false });
if (!traced.ok) throw new Error(traced.diagnostics.map((d) => d.message).join('\n'));
if (existsSync(weightsPath)) {
  const saved = JSON.parse(readFileSync(weightsPath, 'utf8')) as { weights: Record<string, { shape: number[]; data: number[] }> };
  const own = floatModel.state_dict();
  // scripts/train_reference.ts trains nn.ReferenceCNN, whose linear layer is `fc`; the example calls it `classifier`.
  const state = new Map(Object.entries(saved.weights).map(([k, v]) => [own.has(k) ? k : k.replace(/^fc\./, 'classifier.'), Float32Array.from(v.data)]));
  floatModel.load_state_dict(state);
  console.log(`float weights: ${weightsPath}`);
} else {
  console.log(`no ${weightsPath}: training the float model (${FLOAT.epochs} epochs, ${trainSubset || 'all 60k'} images)`);
  await trainFloat(traced.graph, ctx, FLOAT, { logEvery: 50, progressIntervalMs: 1000 });
  const weights: Record<string, { shape: number[]; data: number[] }> = {};
  for (const [name, t] of floatModel.state_dict()) weights[name] = { shape: [...t.shape], data: Array.from(await t.read()) };
  mkdirSync(dirname(weightsPath), { recursive: true });
  writeFileSync(weightsPath, JSON.stringify({ model: 'reference_cnn example', epochs: FLOAT.epochs, weights }));
  console.log(`float weights saved: ${weightsPath}`);
}
const floatTest = await evaluate(traced.graph, data.test, { subset: testSubset });
console.log(`[${clock()}] float: ${pct(floatTest.accuracy)} over ${floatTest.count} test images`);
const floatState = new Map([...floatModel.state_dict()].map(([k, t]) => [k, t] as const));

// ---- fixed point ----------------------------------------------------------------------------------
async function fixedPointAccuracy(model: GraphModule, test: ImageDataset, subset: number): Promise<{ accuracy: number; count: number; imagesPerSecond: number }> {
  const converted = await convert(model);
  const executor = await IntegerExecutor.create(converted.model);
  const input = converted.model.inputs[0]!;
  const output = converted.model.outputs[0]!;
  const count = subset > 0 ? Math.min(subset, test.count) : test.count;
  const per = test.imageShape[0] * test.imageShape[1] * test.imageShape[2];
  const batch = 256;
  let correct = 0;
  const t0 = performance.now();
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const x = Tensor.fromArray(test.images.subarray(start * per, (start + n) * per), [n, ...test.imageShape]);
    const outs = executor.run({ [input]: x });
    const logits = await executor.read(output, outs.get(output)!);
    for (const t of outs.values()) t.dispose();
    x.dispose();
    const classes = logits.length / n;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
      if (best === test.labels[start + i]) correct++;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  executor.dispose();
  for (const note of converted.notes) console.log(`  convert: ${note}`);
  return { accuracy: correct / count, count, imagesPerSecond: count / seconds };
}

const store = new FileCheckpointStore('artifacts/checkpoints');

// ---- calibration ----------------------------------------------------------------------------------
const calibrated = await runCalibration(program, ctx, {
  float_state_dict: floatState,
  settings: { batches: calibrationBatches },
  evaluate: { testSubset },
  store,
  progressIntervalMs: 1000,
});
const calibration = calibrated.result;
console.log(`[${clock()}] calibration: ${calibration.batches} batches (${calibration.images} images, ${calibration.imagesPerSecond.toFixed(0)} images/s)`);
for (const l of calibration.layers) {
  const s = l.scale.length ? l.scale.map((v) => v.toPrecision(4)).join(',') : '-';
  console.log(`  ${l.name.padEnd(11)} ${l.dtype.padEnd(6)} scale ${s.padEnd(11)} ${l.observer}${l.min !== undefined ? ` range [${l.min.toFixed(3)}, ${l.max!.toFixed(3)}]` : ''}`);
}
for (const w of calibration.warnings) console.log(`  warning: ${w}`);
console.log(`[${clock()}] calibration fake-quant: ${pct(calibration.test!.accuracy)}`);
const calibFixed = await fixedPointAccuracy(calibrated.model, data.test, testSubset);
console.log(`[${clock()}] calibration fixed point (int8): ${pct(calibFixed.accuracy)} (${calibFixed.imagesPerSecond.toFixed(0)} images/s)`);
calibrated.model.dispose();

// ---- QAT ------------------------------------------------------------------------------------------
const qat = await runQat(program, ctx, {
  float_state_dict: floatState,
  calibration: calibration.checkpoint,
  float: FLOAT,
  settings: { epochs: qatEpochs, testSubset },
  store,
  train: { logEvery: 50, progressIntervalMs: 1000 },
});
console.log(
  `[${clock()}] QAT: ${qat.result.steps} steps (${qat.result.settings.epochs} epoch, lr ${qat.result.settings.lr} ×${qat.result.settings.gamma} every ${qat.result.settings.stepSize.toFixed(3)} epochs), ` +
    `${qat.result.imagesPerSecond.toFixed(1)} images/s, final loss ${qat.result.finalLoss.toFixed(4)}`,
);
console.log(`[${clock()}] QAT fake-quant: ${pct(qat.result.test.accuracy)}`);
const qatFixed = await fixedPointAccuracy(qat.model, data.test, testSubset);
console.log(`[${clock()}] QAT fixed point (int8): ${pct(qatFixed.accuracy)}`);
qat.model.dispose();

// ---- summary --------------------------------------------------------------------------------------
const points = (a: number, b: number) => (100 * (a - b)).toFixed(2);
const check = (ok: boolean) => (ok ? 'ok' : 'MISSED');
const f = floatTest.accuracy;
const c = calibration.test!.accuracy;
const q = qat.result.test.accuracy;
console.log('\nsummary (test images: ' + floatTest.count + ')');
console.log(`  float                         ${pct(f)}   (PyTorch 88.29%)`);
console.log(`  calibration, fake quant       ${pct(c)}   ${points(c, f)} points vs float; target within 0.5: ${check(Math.abs(c - f) <= 0.005)}`);
console.log(`  calibration, fixed point      ${pct(calibFixed.accuracy)}   ${points(calibFixed.accuracy, c)} points vs its fake quant`);
console.log(`  QAT ${qatEpochs} epoch, fake quant       ${pct(q)}   ${points(q, f)} points vs float; target ≥ float − 0.2: ${check(q >= f - 0.002)} (PyTorch 89.28%)`);
console.log(`  QAT, fixed point (int8)       ${pct(qatFixed.accuracy)}   ${points(qatFixed.accuracy, q)} points vs its fake quant; target within 0.3: ${check(Math.abs(qatFixed.accuracy - q) <= 0.003)}`);
console.log(`  total ${clock()}`);
floatModel.dispose();
await closeTestDevice();
process.exit(0);
