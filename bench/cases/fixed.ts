/**
 * Int8 fixed-point inference of the reference CNN's integer model: this project's WebGPU executor next to
 * ONNX Runtime Web (wasm) running the same model exported to ONNX (QOperator style, the default download),
 * on the same images in the same page. Random weights: this measures speed, not accuracy. ORT Web gets
 * as many wasm threads as the page may use (bench/run.mjs serves it cross-origin isolated), since the
 * software WebGPU adapter runs on every core too.
 */
import * as ort from 'onnxruntime-web/wasm';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
// The runtime's glue as its own file: wasm threads start workers from it (not from the bench bundle).
import ortGlueUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import { Tensor } from '../../src/engine/tensor';
import { IntegerModelBuilder, quantizeWeights } from '../../src/fixed/builder';
import { IntegerExecutor } from '../../src/fixed/gpu/executor';
import type { IntegerModel } from '../../src/fixed/model';
import { seeded } from '../../src/fixed/testing';
import { exportOnnx } from '../../src/export/onnx/export';
import { openEngineDevice } from './engine_device';
import type { BenchCase } from './types';

const BATCH = 256;
const MIN_SECONDS = 5;

/** The reference CNN as an integer model (conv-relu-pool twice, int32 classifier), seeded weights. */
export function referenceIntegerModel(): IntegerModel {
  const rand = seeded(1);
  const floats = (n: number, amp: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * amp);
  const w = (shape: number[], s: number[]) => quantizeWeights(floats(shape.reduce((a, c) => a * c, 1), 0.3), shape[0]!, s, [0]);
  const b = new IntegerModelBuilder('float');
  b.input('x', [1, 28, 28]);
  b.quantize('quant', 'x', { scale: 0.02, zero_point: 0, dtype: 'qint8' });
  const s1 = new Array<number>(16).fill(0.004);
  b.conv2d('conv1', 'quant', { weight: w([16, 1, 3, 3], s1), weight_shape: [16, 1, 3, 3], weight_scale: s1, bias: floats(16, 0.1), padding: 1, output: { scale: 0.01, zero_point: 0, dtype: 'qint8' }, activation: 'relu' });
  b.max_pool2d('pool1', 'conv1', { kernel_size: 2 });
  const s2 = new Array<number>(32).fill(0.003);
  b.conv2d('conv2', 'pool1', { weight: w([32, 16, 3, 3], s2), weight_shape: [32, 16, 3, 3], weight_scale: s2, bias: floats(32, 0.1), padding: 1, output: { scale: 0.01, zero_point: 0, dtype: 'qint8' }, activation: 'relu' });
  b.max_pool2d('pool2', 'conv2', { kernel_size: 2 });
  b.flatten('flatten', 'pool2');
  const s3 = new Array<number>(10).fill(0.002);
  b.linear('classifier', 'flatten', { weight: w([10, 1568], s3), weight_shape: [10, 1568], weight_scale: s3, bias: floats(10, 0.1), output: 'int32' });
  b.dequantize('dequant', 'classifier');
  b.output('dequant');
  return b.build();
}

/** Runs `run` twice to warm up, then at least 3 times and MIN_SECONDS; images per second. */
async function imagesPerSecond(run: () => Promise<void>): Promise<{ value: number; runs: number }> {
  await run();
  await run();
  const started = performance.now();
  let runs = 0;
  while (runs < 3 || performance.now() - started < MIN_SECONDS * 1000) {
    await run();
    runs++;
  }
  return { value: (runs * BATCH) / ((performance.now() - started) / 1000), runs };
}

const images = () => Float32Array.from({ length: BATCH * 784 }, (_, i) => Math.sin(i * 0.37) * 1.5);

export const fixedEngineCase: BenchCase = {
  id: 'fixed_engine',
  async run(ctx) {
    const adapter = await openEngineDevice();
    const executor = await IntegerExecutor.create(referenceIntegerModel());
    const input = Tensor.fromArray(images(), [BATCH, 1, 28, 28]);
    try {
      const { value, runs } = await imagesPerSecond(async () => {
        const results = executor.run({ x: input });
        await results.get('dequant')!.read();
        for (const t of results.values()) t.dispose();
      });
      ctx.log(`fixed point (engine): ${value.toFixed(0)} images/s`);
      return [{ id: 'fixed_engine', label: 'int8 inference, reference CNN — this executor (WebGPU)', value, unit: 'images/s', note: `batch ${BATCH}, ${runs} runs, ${executor.dot} dot product; ${adapter.vendor} ${adapter.architecture}` }];
    } finally {
      input.dispose();
      executor.dispose();
    }
  },
};

export const fixedOrtCase: BenchCase = {
  id: 'fixed_ort',
  async run(ctx) {
    ort.env.wasm.wasmPaths = { wasm: ortWasmUrl, mjs: ortGlueUrl };
    const threads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
    ort.env.wasm.numThreads = threads;
    const session = await ort.InferenceSession.create(exportOnnx(referenceIntegerModel(), { style: 'qoperator' }), { executionProviders: ['wasm'] });
    try {
      const feed = { x: new ort.Tensor('float32', images(), [BATCH, 1, 28, 28]) };
      const { value, runs } = await imagesPerSecond(async () => {
        await session.run(feed);
      });
      ctx.log(`fixed point (ONNX Runtime Web): ${value.toFixed(0)} images/s`);
      return [{ id: 'fixed_ort', label: 'int8 inference, reference CNN — ONNX Runtime Web (wasm)', value, unit: 'images/s', note: `batch ${BATCH}, ${runs} runs, ${threads} thread(s), ${ort.env.versions.web}, QOperator ONNX` }];
    } finally {
      await session.release();
    }
  },
};

export const fixedRatioCase: BenchCase = {
  id: 'fixed_ratio',
  after: ['fixed_engine', 'fixed_ort'],
  async run(ctx) {
    const ours = ctx.results.get('fixed_engine');
    const theirs = ctx.results.get('fixed_ort');
    if (!ours || !theirs) throw new Error('fixed_ratio needs the fixed_engine and fixed_ort rows');
    return [{ id: 'fixed_ratio', label: 'int8 inference: this executor / ONNX Runtime Web', value: ours.value / theirs.value, unit: '×' }];
  },
};
