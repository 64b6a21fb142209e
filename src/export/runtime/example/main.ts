/**
 * The runtime example page (examples/runtime/index.html): pick a .qatm (or the sample), choose a backend,
 * run it on Fashion-MNIST test images, see accuracy, speed and predictions. Uses nothing of the playground
 * but the runtime module and the IDX parser. `window.qatmExample` exposes the state for end-to-end tests.
 */
import { QatmRuntime, type Backend } from '../index';
import { parseIdx, normalizeImages } from '../../../data/idx';

interface ExampleState {
  loaded: boolean;
  backend: Backend | null;
  result: { accuracy: number; images: number; imagesPerSecond: number; predictions: number[] } | null;
  error: string | null;
}

const state: ExampleState = { loaded: false, backend: null, result: null, error: null };
(window as unknown as { qatmExample: ExampleState }).qatmExample = state;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const info = $<HTMLPreElement>('info');
const status = $<HTMLSpanElement>('status');
const runButton = $<HTMLButtonElement>('run');
let runtime: QatmRuntime | null = null;
let modelBytes: ArrayBuffer | null = null;
let testSet: { pixels: Uint8Array; labels: Uint8Array; count: number } | null = null;

function setStatus(text: string, error = false): void {
  status.textContent = text;
  status.dataset.state = error ? 'error' : 'ok';
  if (error) state.error = text;
}

async function load(bytes: ArrayBuffer, label: string): Promise<void> {
  runtime?.dispose();
  runtime = null;
  state.loaded = false;
  runButton.disabled = true;
  try {
    const backend = $<HTMLSelectElement>('backend').value as Backend | 'auto';
    runtime = await QatmRuntime.create(bytes, { backend });
    modelBytes = bytes;
    state.loaded = true;
    state.backend = runtime.backend;
    state.error = null;
    const h = runtime.header;
    info.textContent = [
      `${label}: ${bytes.byteLength.toLocaleString()} bytes, file version ${h.version}, written ${h.created} by ${h.producer}`,
      `model: ${String(h.metadata.modelName ?? '?')}, march ${String(h.metadata.march ?? '?')}, ${runtime.model.mode} requantization, ${runtime.model.ops.length} ops`,
      `inputs: ${runtime.inputs.map((i) => `${i.name} [N, ${i.shape.join(', ')}]`).join(', ')}; outputs: ${runtime.outputs.map((o) => `${o.name} [N, ${o.shape.join(', ')}]`).join(', ')}`,
      `accuracy measured in the playground: ${h.metadata.accuracy ? JSON.stringify(h.metadata.accuracy) : 'not stored'}`,
      `backend: ${runtime.backend}`,
    ].join('\n');
    runButton.disabled = false;
    setStatus('');
  } catch (e) {
    info.textContent = 'No model loaded.';
    setStatus(e instanceof Error ? e.message : String(e), true);
  }
}

async function gunzip(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`${url}: HTTP ${response.status}`);
  const stream = response.body.pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function loadTestSet(): Promise<NonNullable<typeof testSet>> {
  if (testSet) return testSet;
  setStatus('loading the Fashion-MNIST test set…');
  const base = new URL('../../datasets/fashion-mnist/', location.href).href;
  const [images, labels] = await Promise.all([gunzip(`${base}t10k-images-idx3-ubyte.gz`), gunzip(`${base}t10k-labels-idx1-ubyte.gz`)]);
  const i = parseIdx(images, 't10k-images-idx3-ubyte.gz');
  const l = parseIdx(labels, 't10k-labels-idx1-ubyte.gz');
  testSet = { pixels: i.data, labels: l.data, count: i.shape[0] };
  return testSet;
}

function drawGrid(pixels: Uint8Array, labels: Uint8Array, predictions: number[], classes: string[]): void {
  const grid = $<HTMLDivElement>('grid');
  grid.replaceChildren();
  for (let k = 0; k < Math.min(16, predictions.length); k++) {
    const figure = document.createElement('figure');
    const canvas = document.createElement('canvas');
    canvas.width = 28;
    canvas.height = 28;
    const ctx = canvas.getContext('2d')!;
    const img = ctx.createImageData(28, 28);
    for (let p = 0; p < 784; p++) {
      const v = pixels[k * 784 + p];
      img.data.set([v, v, v, 255], p * 4);
    }
    ctx.putImageData(img, 0, 0);
    const caption = document.createElement('figcaption');
    caption.textContent = classes[predictions[k]] ?? String(predictions[k]);
    if (predictions[k] !== labels[k]) {
      caption.className = 'wrong';
      caption.title = `true: ${classes[labels[k]] ?? labels[k]}`;
    }
    figure.append(canvas, caption);
    grid.append(figure);
  }
}

async function run(): Promise<void> {
  if (!runtime) return;
  runButton.disabled = true;
  try {
    const data = await loadTestSet();
    const n = Math.max(1, Math.min(data.count, Number($<HTMLInputElement>('count').value) || 1000));
    const meta = runtime.metadata;
    const norm = meta.normalization ?? { mean: 0.286, std: 0.353 };
    const images = normalizeImages(data.pixels.subarray(0, n * 784), norm.mean, norm.std);
    const predictions: number[] = [];
    const started = performance.now();
    for (let at = 0; at < n; at += 256) {
      const m = Math.min(256, n - at);
      predictions.push(...(await runtime.predict(images.subarray(at * 784, (at + m) * 784))));
      setStatus(`${at + m} / ${n} images…`);
    }
    const seconds = (performance.now() - started) / 1000;
    const correct = predictions.filter((p, i) => p === data.labels[i]).length;
    state.result = { accuracy: correct / n, images: n, imagesPerSecond: n / seconds, predictions: predictions.slice(0, 100) };
    setStatus(`accuracy ${(100 * correct / n).toFixed(2)}% on ${n} images, ${(n / seconds).toFixed(0)} images/s on ${runtime.backend}`);
    drawGrid(data.pixels, data.labels, predictions, (meta.classes as string[] | undefined) ?? []);
  } catch (e) {
    setStatus(e instanceof Error ? e.message : String(e), true);
  } finally {
    runButton.disabled = false;
  }
}

$<HTMLInputElement>('file').addEventListener('change', async (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file) await load(await file.arrayBuffer(), file.name);
});
$<HTMLButtonElement>('sample').addEventListener('click', async () => {
  try {
    const url = new URL('../../examples/reference_cnn.qatm', location.href).href;
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    await load(await response.arrayBuffer(), 'reference_cnn.qatm (sample)');
  } catch (e) {
    setStatus(e instanceof Error ? e.message : String(e), true);
  }
});
$<HTMLSelectElement>('backend').addEventListener('change', async () => {
  if (modelBytes) await load(modelBytes, 'the model');
});
runButton.addEventListener('click', () => void run());
const param = new URLSearchParams(location.search).get('model');
if (param) {
  void fetch(param)
    .then((r) => r.arrayBuffer())
    .then((b) => load(b, param));
}
