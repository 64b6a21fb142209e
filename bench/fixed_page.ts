/**
 * In one browser: int8 fixed-point inference of the reference CNN's integer model on this project's
 * WebGPU executor, next to ONNX Runtime Web (wasm) running the same model exported to ONNX (QOperator
 * style, the default download). Random weights: this measures speed, not accuracy. The result lands in
 * `window.benchResult` (bench/fixed_run.mjs reads it).
 */
import * as ort from 'onnxruntime-web';
import { setDevice } from '../src/engine/device';
import { Tensor } from '../src/engine/tensor';
import { IntegerModelBuilder, quantizeWeights } from '../src/fixed/builder';
import { IntegerExecutor } from '../src/fixed/gpu/executor';
import type { IntegerModel } from '../src/fixed/model';
import { seeded } from '../src/fixed/testing';
import { exportOnnx } from '../src/export/onnx/export';

interface Side {
  imagesPerSecond: number;
  batch: number;
  runs: number;
}

export interface FixedBenchResult {
  adapter: string;
  ours: Side & { dot: string };
  ort: Side & { threads: number; style: string };
  ratio: number;
}

const out = document.getElementById('out')!;
const log = (line: string) => (out.textContent = `${out.textContent === 'running…' ? '' : out.textContent}${line}\n`);

function referenceCnn(): IntegerModel {
  const rand = seeded(1);
  const floats = (n: number, amp: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * amp);
  const w = (shape: number[], s: number[]) => quantizeWeights(floats(shape.reduce((a, c) => a * c, 1), 0.3), shape[0], s, [0]);
  const b = new IntegerModelBuilder('float');
  b.input('x', [1, 28, 28]);
  b.quantize('quant', 'x', { scale: 0.02, zero_point: 0, dtype: 'qint8' });
  const s1 = new Array(16).fill(0.004);
  b.conv2d('conv1', 'quant', { weight: w([16, 1, 3, 3], s1), weight_shape: [16, 1, 3, 3], weight_scale: s1, bias: floats(16, 0.1), padding: 1, output: { scale: 0.01, zero_point: 0, dtype: 'qint8' }, activation: 'relu' });
  b.max_pool2d('pool1', 'conv1', { kernel_size: 2 });
  const s2 = new Array(32).fill(0.003);
  b.conv2d('conv2', 'pool1', { weight: w([32, 16, 3, 3], s2), weight_shape: [32, 16, 3, 3], weight_scale: s2, bias: floats(32, 0.1), padding: 1, output: { scale: 0.01, zero_point: 0, dtype: 'qint8' }, activation: 'relu' });
  b.max_pool2d('pool2', 'conv2', { kernel_size: 2 });
  b.flatten('flatten', 'pool2');
  const s3 = new Array(10).fill(0.002);
  b.linear('classifier', 'flatten', { weight: w([10, 1568], s3), weight_shape: [10, 1568], weight_scale: s3, bias: floats(10, 0.1), output: 'int32' });
  b.dequantize('dequant', 'classifier');
  b.output('dequant');
  return b.build();
}

async function time(run: () => Promise<void>, minSeconds: number): Promise<{ seconds: number; runs: number }> {
  await run();
  await run();
  const started = performance.now();
  let runs = 0;
  while (runs < 3 || performance.now() - started < minSeconds * 1000) {
    await run();
    runs++;
  }
  return { seconds: (performance.now() - started) / 1000, runs };
}

async function main(): Promise<FixedBenchResult> {
  const params = new URLSearchParams(location.search);
  const batch = Number(params.get('batch') ?? 256);
  const minSeconds = Number(params.get('seconds') ?? 5);
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  setDevice(await adapter.requestDevice({ requiredLimits: { maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage } }));
  const model = referenceCnn();
  const images = Float32Array.from({ length: batch * 784 }, (_, i) => Math.sin(i * 0.37) * 1.5);

  const executor = await IntegerExecutor.create(model);
  const input = Tensor.fromArray(images, [batch, 1, 28, 28]);
  const ours = await time(async () => {
    const results = executor.run({ x: input });
    const logits = results.get('dequant')!;
    await logits.read();
    for (const t of results.values()) t.dispose();
  }, minSeconds);
  const oursIps = (ours.runs * batch) / ours.seconds;
  log(`QAT Playground (WebGPU, ${executor.dot} dot): ${oursIps.toFixed(0)} images/s (batch ${batch}, ${ours.runs} runs)`);
  input.dispose();
  executor.dispose();

  ort.env.wasm.wasmPaths = new URL('/node_modules/onnxruntime-web/dist/', location.href).href;
  const threads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  ort.env.wasm.numThreads = threads;
  const session = await ort.InferenceSession.create(exportOnnx(model, { style: 'qoperator' }), { executionProviders: ['wasm'] });
  const feed = { x: new ort.Tensor('float32', images, [batch, 1, 28, 28]) };
  const theirs = await time(async () => {
    await session.run(feed);
  }, minSeconds);
  const ortIps = (theirs.runs * batch) / theirs.seconds;
  log(`ONNX Runtime Web (wasm, ${threads} thread${threads > 1 ? 's' : ''}): ${ortIps.toFixed(0)} images/s (batch ${batch}, ${theirs.runs} runs)`);
  await session.release();
  const info = adapter.info;
  const result: FixedBenchResult = {
    adapter: `${info.vendor} ${info.architecture}`,
    ours: { imagesPerSecond: oursIps, batch, runs: ours.runs, dot: executor.dot },
    ort: { imagesPerSecond: ortIps, batch, runs: theirs.runs, threads, style: 'qoperator' },
    ratio: oursIps / ortIps,
  };
  log(`ratio (ours / ORT Web): ${result.ratio.toFixed(2)}×`);
  return result;
}

main().then(
  (r) => ((window as unknown as { benchResult: unknown }).benchResult = r),
  (e) => {
    log(`error: ${e instanceof Error ? e.message : String(e)}`);
    (window as unknown as { benchResult: unknown }).benchResult = { error: String(e) };
  },
);
