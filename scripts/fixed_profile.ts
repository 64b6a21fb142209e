/**
 * Where int8 inference of the reference CNN's integer model goes (referenceIntegerModel, as in bench/cases/fixed.ts,
 * batch 256): the dispatches of one run are recorded, counted and replayed one by one, each timed in this
 * process's CPU time (SwiftShader runs on the CPU, so CPU time is steadier than wall time under load).
 *
 *   npx vite-node scripts/fixed_profile.ts [-- --batch 256 --reps 3 --dot packed|unpacked --tile TR,TM,TN]
 * --tile forces one register tile on every dense conv (the linear layer too), for tuning.
 */
import { gpuTestEnv } from '../src/testing/gpuEnv';
import { arg, bestOfThree } from './lib/timing';

Object.assign(process.env, gpuTestEnv(process.env));
const { getTestDevice, closeTestDevice } = await import('../src/testing/gpu');
const { Tensor } = await import('../src/engine/tensor');
const { sync, flush, dispatch, setDispatchRecorder } = await import('../src/engine/commands');
const { IntegerExecutor } = await import('../src/fixed/gpu/executor');
const { forceIntegerDot } = await import('../src/fixed/gpu/shaders');
const { referenceIntegerModel } = await import('../src/fixed/testing');
const { setDenseTileOverride } = await import('../src/fixed/gpu/conv2d_int8_tiled');
type RecordedDispatch = import('../src/engine/commands').RecordedDispatch;

const batch = Number(arg('batch', '256'));
const reps = Number(arg('reps', '3'));
const dot = arg('dot', '');
if (dot === 'packed' || dot === 'unpacked') forceIntegerDot(dot);
const tile = arg('tile', '');
if (tile) {
  const [TR, TM, TN] = tile.split(',').map(Number);
  setDenseTileOverride({ TR: TR!, TM: TM!, TN: TN! });
}


const cpuMs = (fn: () => void) => bestOfThree(fn, reps);

await getTestDevice();
const executor = await IntegerExecutor.create(referenceIntegerModel());
const x = Tensor.fromArray(Float32Array.from({ length: batch * 784 }, (_, i) => Math.sin(i * 0.37) * 1.5), [batch, 1, 28, 28]);
const run = () => {
  for (const t of executor.run({ x }).values()) t.dispose();
};
run();
await sync();
const recorded: RecordedDispatch[] = [];
setDispatchRecorder((d) => recorded.push(d));
const e0 = performance.now();
run();
const encode = performance.now() - e0;
flush();
setDispatchRecorder(null);
await sync();
const whole = await cpuMs(run);
console.log(`dot ${executor.dot}, batch ${batch}: ${recorded.length} dispatches, encode ${encode.toFixed(1)} ms JS; run ${whole.cpu.toFixed(1)} ms CPU, ${whole.wall.toFixed(1)} ms wall (${((batch * 1000) / whole.wall).toFixed(0)} images/s wall, ${((batch * 1000) / whole.cpu).toFixed(0)} per CPU-second)`);
let sum = 0;
for (const d of recorded) {
  const t = await cpuMs(() => dispatch(d.pipeline, d.buffers, d.workgroups, d.uniforms));
  sum += t.cpu;
  console.log(`  ${(d.pipeline.label || '?').slice(0, 70).padEnd(70)} wg [${d.workgroups.join(',')}] ${t.cpu.toFixed(2).padStart(8)} ms CPU ${t.wall.toFixed(2).padStart(8)} ms wall`);
}
console.log(`  sum of dispatches ${sum.toFixed(1)} ms CPU`);
executor.dispose();
x.dispose();
await closeTestDevice();
process.exit(0);
