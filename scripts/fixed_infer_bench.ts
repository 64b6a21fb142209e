/**
 * Integer inference speed of the reference CNN's shape (28×28, conv 1→16, conv 16→32, linear 1568→10)
 * on the WebGPU integer executor in Node (Dawn): images/s per batch size, dot product and requant mode.
 * Random weights: this measures kernels, not accuracy.  npx vite-node scripts/fixed_infer_bench.ts
 * SwiftShader runs on the CPU, so the process's CPU time is printed too: it is steadier than wall time
 * when other work shares the machine.
 */
import { create, globals } from 'webgpu';
import { setDevice } from '../src/engine/device';
import { sync } from '../src/engine/commands';
import { Tensor } from '../src/engine/tensor';
import { IntegerModelBuilder, quantizeWeights } from '../src/fixed/builder';
import { IntegerExecutor } from '../src/fixed/gpu/executor';
import { forceIntegerDot, type IntegerDot } from '../src/fixed/gpu/shaders';
import type { RequantMode } from '../src/fixed/requant';
import { seeded } from '../src/fixed/testing';
import { gpuTestEnv } from '../src/testing/gpuEnv';

Object.assign(process.env, gpuTestEnv(process.env));
Object.assign(globalThis, globals);

function floats(rand: () => number, n: number, amp: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * amp);
}

function referenceCnn(mode: RequantMode) {
  const rand = seeded(1);
  const b = new IntegerModelBuilder(mode);
  const w = (shape: number[], s: number[]) => quantizeWeights(floats(rand, shape.reduce((a, c) => a * c, 1), 0.3), shape[0], s, [0]);
  b.input('x', [1, 28, 28]);
  b.quantize('quant', 'x', { scale: 0.02, zero_point: 0, dtype: 'qint8' });
  const s1 = new Array(16).fill(0.004);
  b.conv2d('conv1', 'quant', { weight: w([16, 1, 3, 3], s1), weight_shape: [16, 1, 3, 3], weight_scale: s1, bias: floats(rand, 16, 0.1), padding: 1, output: { scale: 0.01, zero_point: -128, dtype: 'qint8' }, activation: 'relu' });
  b.max_pool2d('pool1', 'conv1', { kernel_size: 2 });
  const s2 = new Array(32).fill(0.003);
  b.conv2d('conv2', 'pool1', { weight: w([32, 16, 3, 3], s2), weight_shape: [32, 16, 3, 3], weight_scale: s2, bias: floats(rand, 32, 0.1), padding: 1, output: { scale: 0.01, zero_point: -128, dtype: 'qint8' }, activation: 'relu' });
  b.max_pool2d('pool2', 'conv2', { kernel_size: 2 });
  b.flatten('flatten', 'pool2');
  const s3 = new Array(10).fill(0.002);
  b.linear('fc', 'flatten', { weight: w([10, 1568], s3), weight_shape: [10, 1568], weight_scale: s3, bias: floats(rand, 10, 0.1), output: 'int32' });
  b.dequantize('logits', 'fc');
  b.output('logits');
  return b.build();
}

const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) throw new Error('no WebGPU adapter');
const device = await adapter.requestDevice();
setDevice(device);

for (const mode of ['multiplier', 'float'] as RequantMode[]) {
  for (const dot of ['packed', 'unpacked'] as IntegerDot[]) {
    forceIntegerDot(dot);
    const ex = await IntegerExecutor.create(referenceCnn(mode));
    for (const batch of [64, 256]) {
      const x = Tensor.fromArray(floats(seeded(2), batch * 784, 2), [batch, 1, 28, 28]);
      for (const t of ex.run({ x }).values()) t.dispose();
      await sync();
      const reps = 3;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let r = 0; r < reps; r++) for (const t of ex.run({ x }).values()) t.dispose();
      await sync();
      const dt = (performance.now() - t0) / reps;
      const c = process.cpuUsage(c0);
      const cpu = (c.user + c.system) / 1000 / reps;
      console.log(
        `${mode.padEnd(10)} ${dot.padEnd(8)} batch ${String(batch).padStart(3)}: ${dt.toFixed(0)} ms/batch wall (${((batch * 1000) / dt).toFixed(0)} images/s), ${cpu.toFixed(0)} ms CPU (${((batch * 1000) / cpu).toFixed(0)} images per CPU-second)`,
      );
      x.dispose();
    }
    ex.dispose();
  }
}
device.destroy();
