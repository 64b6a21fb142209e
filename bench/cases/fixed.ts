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
import { IntegerExecutor } from '../../src/fixed/gpu/executor';
import { referenceIntegerModel } from '../../src/fixed/testing';
import { exportOnnx } from '../../src/export/onnx/export';
import { openEngineDevice } from './engine_device';
import type { BenchCase } from './types';

const BATCH = 256;
const MIN_SECONDS = 5;


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
