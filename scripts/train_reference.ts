/**
 * Trains the reference CNN on all 60k Fashion-MNIST training images with the recipe (3 epochs,
 * SGD lr 0.05, momentum 0.9, weight decay 4e-5, batch 64) on this machine's WebGPU device (Dawn), and
 * prints the test accuracy over all 10k test images and the training images/s.
 *
 *   npm run train:reference [-- --epochs 3 --subset 0 --out artifacts/reference_cnn.json]
 *
 * The trained weights are written as JSON ({ name: { shape, data } }, PyTorch state_dict names) for
 * other scripts (calibration and QAT start from them).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gpuTestEnv } from '../src/testing/gpuEnv';
import { DEFAULT_FLOAT } from '../src/store/settings';

Object.assign(process.env, gpuTestEnv(process.env));
const { getTestDevice, closeTestDevice } = await import('../src/testing/gpu');
const { ReferenceCNN } = await import('../src/nn/reference_cnn');
const { manual_seed } = await import('../src/nn/init');
const { trainFloat } = await import('../src/pipeline/train');
const { loadFashionMnist } = await import('../src/pipeline/testing/fashion_mnist');
const { deviceAdapter } = await import('../src/engine/device');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const epochs = Number(arg('epochs', '3'));
const subset = Number(arg('subset', '0'));
const out = arg('out', 'artifacts/reference_cnn.json');
const seed = Number(arg('seed', '0'));

await getTestDevice();
const adapter = deviceAdapter();
console.log(`adapter: ${adapter.vendor} ${adapter.architecture} (${adapter.description})`);
const data = loadFashionMnist();
manual_seed(seed);
const model = new ReferenceCNN();
const started = performance.now();
let lastLine = 0;
const result = await trainFloat(
  model,
  {
    train: data.train,
    test: data.test,
    signal: new AbortController().signal,
    progress: (p) => {
      const now = performance.now();
      if (now - lastLine < 10_000 && p.fraction < 1) return;
      lastLine = now;
      const parts = p.step === undefined ? [] : [`epoch ${(p.epoch ?? 0) + 1}/${epochs}`, `step ${p.step}/${p.totalSteps}`];
      if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(4)}`, `acc ${(100 * p.accuracy!).toFixed(1)}%`);
      if (p.imagesPerSecond) parts.push(`${p.imagesPerSecond.toFixed(1)} images/s`);
      if (p.etaSeconds !== undefined) parts.push(`ETA ${Math.round(p.etaSeconds)} s`);
      if (p.message) parts.push(p.message);
      console.log(parts.join('  '));
    },
  },
  { ...DEFAULT_FLOAT, trainSubset: subset, testSubset: 0, epochs, seed },
  { logEvery: 50, progressIntervalMs: 1000 },
);
const minutes = (performance.now() - started) / 60000;
console.log(`test accuracy: ${(100 * result.test.accuracy).toFixed(2)}% over ${result.test.count} images (loss ${result.test.loss.toFixed(4)})`);
console.log(`training: ${result.steps} steps, ${result.imagesPerSecond.toFixed(1)} images/s, final loss ${result.finalLoss.toFixed(4)}, ${minutes.toFixed(1)} min in all`);

const weights: Record<string, { shape: number[]; data: number[] }> = {};
for (const [name, t] of model.state_dict()) weights[name] = { shape: [...t.shape], data: Array.from(await t.read()) };
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ model: 'ReferenceCNN', testAccuracy: result.test.accuracy, epochs, weights }));
console.log(`weights: ${out}`);
model.dispose();
await closeTestDevice();
process.exit(0);
