/**
 * MSEObserver's GPU search (95 candidates) on a conv1-sized activation batch [64, 32, 28, 28], timed with
 * the round()/clamp() error kernel and the magic-number one (shaders/observer_mse_error.wgsl), in
 * interleaved rounds. Run: npx vite-node scripts/tune_mse.ts
 */
import { gpuTestEnv } from '../src/testing/gpuEnv';
import { bestOfThree } from './lib/timing';

Object.assign(process.env, gpuTestEnv(process.env));
const { getTestDevice } = await import('../src/testing/gpu');
const { Tensor } = await import('../src/engine/tensor');
const { fillTensor } = await import('../src/engine/kernels/elementwise');
const { mseObserveGpu, setMseRounding } = await import('../src/quant/kernels/observer_mse');

await getTestDevice();
const shape = [64, 32, 28, 28];
const n = shape.reduce((a, b) => a * b, 1);
const x = Tensor.fromArray(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 3 + Math.cos(i * 0.011)), shape);
const cfg = { quant_min: -128, quant_max: 127, qscheme: 'per_tensor_symmetric', dtype: 'qint8' } as never;
for (let r = 0; r < 2; r++) {
  for (const rounding of ['round', 'magic'] as const) {
    setMseRounding(rounding);
    const lo = fillTensor([1], Infinity);
    const hi = fillTensor([1], -Infinity);
    const t = await bestOfThree(() => mseObserveGpu(x, null, lo, hi, cfg, 1, 0.01), 1);
    console.log(`MSE search, ${rounding.padEnd(5)}: ${t.wall.toFixed(0)} ms wall, ${t.cpu.toFixed(0)} ms CPU`);
    lo.dispose();
    hi.dispose();
  }
}
process.exit(0);
