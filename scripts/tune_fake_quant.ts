/**
 * Fake quantize (int8, per tensor, forward) and the copy kernel over launch shapes, on this machine's
 * WebGPU device. Every variant is timed in each of ROUNDS interleaved rounds (so load from other processes
 * moves all of them alike) and the best round is kept, in wall time and in this process's CPU time.
 * Run: SHAPES=128x16x4,64x32x4 npx vite-node scripts/tune_fake_quant.ts
 * (SHAPES: workgroup x vec4s per invocation [x lanes interleaved in a run] [xs: interleaved layout].)
 */
import { gpuTestEnv } from '../src/testing/gpuEnv';

Object.assign(process.env, gpuTestEnv(process.env));
const { getTestDevice } = await import('../src/testing/gpu');
const { Tensor } = await import('../src/engine/tensor');
const { sync } = await import('../src/engine/commands');
const { copy, setCopyLaunch } = await import('../src/engine/kernels/copy');
const { fakeQuantizeForward, packQParamsInto, setFakeQuantLaunch, setFakeQuantLayout, setFakeQuantRounding } = await import(
  '../src/quant/kernels/fake_quantize'
);

await getTestDevice();
const floats = 8 * 1024 * 1024;
const x = Tensor.fromArray(Float32Array.from({ length: floats }, (_, i) => Math.sin(i) * 3), [floats]);
const packed = packQParamsInto(Tensor.fromArray([0.03], [1]), Tensor.zeros([1], 'int32'), null);
const shapes = (process.env.SHAPES ?? '128x16x4,64x32x4,128x8x4,64x16x4').split(',');
const rounds = Number(process.env.ROUNDS ?? 8);

interface Variant {
  name: string;
  run: () => void;
  wall: number;
  cpu: number;
}
const variants: Variant[] = [];
for (const s of shapes) {
  const [wg, epi, lanes = 1] = s.replace('xs', '').split('x').map(Number) as [number, number, number?];
  const strided = s.endsWith('xs');
  const fq = (rounding: 'magic' | 'round') => () => {
    setFakeQuantLaunch({ wg, epi, lanes });
    setFakeQuantLayout(strided ? 'strided' : 'runs');
    setFakeQuantRounding(rounding);
    fakeQuantizeForward(x, packed, -128, 127, null).dispose();
  };
  if (!strided) {
    variants.push({ name: `copy ${s}`, run: () => (setCopyLaunch({ wg, epi, lanes }), copy(x).dispose()), wall: Infinity, cpu: Infinity });
  }
  variants.push({ name: `fake quant ${s} magic`, run: fq('magic'), wall: Infinity, cpu: Infinity });
  if (process.env.ROUND === '1') variants.push({ name: `fake quant ${s} round`, run: fq('round'), wall: Infinity, cpu: Infinity });
}
for (const v of variants) {
  v.run();
  await sync();
}
for (let r = 0; r < rounds; r++) {
  for (const v of variants) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    for (let i = 0; i < 3; i++) v.run();
    await sync();
    const c = process.cpuUsage(c0);
    v.wall = Math.min(v.wall, (performance.now() - w0) / 3);
    v.cpu = Math.min(v.cpu, (c.user + c.system) / 1000 / 3);
  }
}
const gbs = (ms: number) => ((floats * 8) / (ms / 1000) / 1e9).toFixed(2);
const bestCopy = Math.min(...variants.filter((v) => v.name.startsWith('copy')).map((v) => v.wall));
for (const v of variants) {
  console.log(`${v.name.padEnd(28)} ${gbs(v.wall)} GB/s wall  ${gbs(v.cpu)} GB/s CPU  vs best copy ${(bestCopy / v.wall).toFixed(2)}`);
}
process.exit(0);
