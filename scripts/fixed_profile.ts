/**
 * Where int8 inference of the reference CNN's integer model goes (the model of bench/cases/fixed.ts,
 * batch 256): the dispatches of one run are recorded, counted and replayed one by one, each timed in this
 * process's CPU time (SwiftShader runs on the CPU, so CPU time is steadier than wall time under load).
 *
 *   npx vite-node scripts/fixed_profile.ts [-- --batch 256 --reps 3 --dot packed|unpacked --tile TR,TM,TN]
 * --tile forces one register tile on every dense conv (the linear layer too), for tuning.
 */
import { gpuTestEnv } from '../src/testing/gpuEnv';

Object.assign(process.env, gpuTestEnv(process.env));
const { getTestDevice, closeTestDevice } = await import('../src/testing/gpu');
const { Tensor } = await import('../src/engine/tensor');
const { sync, flush, dispatch, setDispatchRecorder } = await import('../src/engine/commands');
const { IntegerModelBuilder, quantizeWeights } = await import('../src/fixed/builder');
const { IntegerExecutor } = await import('../src/fixed/gpu/executor');
const { forceIntegerDot } = await import('../src/fixed/gpu/shaders');
const { seeded } = await import('../src/fixed/testing');
const { setDenseTileOverride } = await import('../src/fixed/gpu/conv2d_int8_tiled');
type RecordedDispatch = import('../src/engine/commands').RecordedDispatch;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const batch = Number(arg('batch', '256'));
const reps = Number(arg('reps', '3'));
const dot = arg('dot', '');
if (dot === 'packed' || dot === 'unpacked') forceIntegerDot(dot);
const tile = arg('tile', '');
if (tile) {
  const [TR, TM, TN] = tile.split(',').map(Number);
  setDenseTileOverride({ TR: TR!, TM: TM!, TN: TN! });
}

/** The same model as bench/cases/fixed.ts (that file imports ONNX Runtime Web, so it is rebuilt here). */
function referenceIntegerModel() {
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

async function cpuMs(fn: () => void): Promise<{ cpu: number; wall: number }> {
  fn();
  await sync();
  let best = { cpu: Infinity, wall: Infinity };
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    await sync();
    const c = process.cpuUsage(c0);
    const t = { cpu: (c.user + c.system) / 1000 / reps, wall: (performance.now() - w0) / reps };
    if (t.cpu < best.cpu) best = t;
  }
  return best;
}

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
