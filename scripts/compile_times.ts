/**
 * How long this machine's WebGPU device takes to compile the kernels each stage needs the first time,
 * on the reference CNN (batch 64 training steps; the integer executor at batch 256): the first float
 * training step, the first QAT step after it (what it compiles in addition), and the integer executor's
 * first run, with the slowest pipelines of each. On SwiftShader compiling is the larger part of a
 * stage's first step; later steps reuse the cached pipelines.
 *
 *   npx vite-node scripts/compile_times.ts
 */
import { gpuTestEnv } from '../src/testing/gpuEnv';

Object.assign(process.env, gpuTestEnv(process.env));
const { getTestDevice } = await import('../src/testing/gpu');
const { sync } = await import('../src/engine/commands');
const { Tensor } = await import('../src/engine/tensor');
const { SGD } = await import('../src/optim/sgd');
const { traceModel, prepareStageModel } = await import('../src/dsl/index');
const { set_fake_quantize } = await import('../src/quant/fake_quant_state');
const { FakeQuantState } = await import('../src/quant/types');
const { IntegerExecutor } = await import('../src/fixed/gpu/executor');
const { referenceIntegerModel } = await import('../src/fixed/testing');

const device = await getTestDevice();
// Dawn in Node compiles in createComputePipeline: time every call.
const create = device.createComputePipeline.bind(device);
let created: [string, number][] = [];
device.createComputePipeline = (descriptor: GPUComputePipelineDescriptor) => {
  const t0 = performance.now();
  const pipeline = create(descriptor);
  created.push([descriptor.label ?? '?', performance.now() - t0]);
  return pipeline;
};

async function firstAndNext(name: string, run: () => void): Promise<void> {
  created = [];
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    run();
    await sync();
    times.push(performance.now() - t0);
  }
  const compiling = created.reduce((a, [, t]) => a + t, 0);
  console.log(`${name}: first ${times[0]!.toFixed(0)} ms, then ${times.slice(1).map((t) => t.toFixed(0)).join(', ')} ms; ${created.length} pipelines compiled in ${compiling.toFixed(0)} ms`);
  for (const [label, t] of [...created].sort((a, b) => b[1] - a[1]).slice(0, 4)) console.log(`  ${t.toFixed(0).padStart(6)} ms  ${label}`);
}

const { program, trainStep } = (await import('./lib/reference_step')).referenceExample(64);
const floatModel = program.createModel();
const traced = traceModel(floatModel, { fuse: false });
if (!traced.ok) throw new Error('trace failed');
traced.graph.train();
await firstAndNext('float training step', trainStep(traced.graph, new SGD(floatModel.parameters(), { lr: 0.01, momentum: 0.9 })));

const qat = prepareStageModel(program, 'qat', { float_state_dict: floatModel.state_dict() });
qat.train();
set_fake_quantize(qat, FakeQuantState.QAT);
await firstAndNext('QAT step (after the float one)', trainStep(qat, new SGD(qat.parameters().filter((p) => p.requiresGrad), { lr: 0.001, momentum: 0.9 })));

const model = referenceIntegerModel();
const executor = await IntegerExecutor.create(model);
const x = Tensor.fromArray(Float32Array.from({ length: 256 * 784 }, (_, i) => Math.sin(i * 0.37)), [256, 1, 28, 28]);
await firstAndNext('integer executor, batch 256', () => {
  for (const t of executor.run({ [model.inputs[0]!]: x }).values()) t.dispose();
});
process.exit(0);
