/**
 * Fake quantize (int8, per tensor, forward) against the copy kernel over launch shapes, on this machine's
 * WebGPU device: GB/s in this process's CPU time (best of 3; steadier than wall time on a shared machine)
 * and in wall time. Run: npx vite-node scripts/tune_fake_quant.ts
 */
import { gpuTestEnv } from '../src/testing/gpuEnv';
import { bestOfThree } from './lib/timing';

Object.assign(process.env, gpuTestEnv(process.env));
const { getTestDevice } = await import('../src/testing/gpu');
const { Tensor } = await import('../src/engine/tensor');
const { copy } = await import('../src/engine/kernels/copy');
const { fakeQuantizeForward, packQParamsInto, setFakeQuantLaunch, setFakeQuantLayout } = await import('../src/quant/kernels/fake_quantize');

await getTestDevice();
const floats = 8 * 1024 * 1024;
const x = Tensor.fromArray(Float32Array.from({ length: floats }, (_, i) => Math.sin(i) * 3), [floats]);
const packed = packQParamsInto(Tensor.fromArray([0.03], [1]), Tensor.zeros([1], 'int32'), null);

const measure = (f: () => void) => bestOfThree(f, 4);
const gbs = (ms: number) => ((floats * 8) / (ms / 1000) / 1e9).toFixed(2);
const tc0 = await measure(() => copy(x).dispose());
console.log(`copy                ${gbs(tc0.wall)} GB/s wall  ${gbs(tc0.cpu)} GB/s CPU`);
// SHAPES: workgroup x vec4s per invocation [x lanes interleaved in a run] [xs: interleaved layout], e.g. 32x64,32x64x4,256x4xs
const shapes = (process.env.SHAPES ?? '64x8,32x32,32x64,16x128').split(',');
for (const s of shapes) {
  const [wg, epi, lanes] = s.replace('xs', '').split('x').map(Number) as [number, number, number?];
  setFakeQuantLaunch({ wg, epi, lanes: lanes ?? 1 });
  setFakeQuantLayout(s.endsWith('xs') ? 'strided' : 'runs');
  // The copy again beside each variant: load from other processes moves both.
  const tc = await measure(() => copy(x).dispose());
  const t = await measure(() => fakeQuantizeForward(x, packed, -128, 127, null).dispose());
  console.log(`fake quant ${s.padEnd(8)} ${gbs(t.wall)} GB/s wall  ${gbs(t.cpu)} GB/s CPU  ratio wall ${(tc.wall / t.wall).toFixed(2)} CPU ${(tc.cpu / t.cpu).toFixed(2)}`);
}
process.exit(0);
