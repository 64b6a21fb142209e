/**
 * QAT speed on this machine's WebGPU device (Dawn), the reference CNN at batch 64:
 *   - a QAT training step (fake quantize with STE, observers, conv+BN folding, the NaN-diagnosis state
 *     copy) next to a float training step of the same network, and their ratio (target ≤ 1.25);
 *   - the fake-quantize kernel's GB/s next to the copy kernel's on the same tensor (target ≥ 0.9×).
 * Times are the process's CPU time per step (SwiftShader runs on the CPU, so this is steadier than wall
 * time when other work shares the machine); wall time is printed too.
 *
 *   npx vite-node scripts/qat_bench.ts [-- --steps 6 --batch 64]
 */
import { gpuTestEnv } from '../src/testing/gpuEnv';
import { arg, bestOfThree, type Timing } from './lib/timing';

Object.assign(process.env, gpuTestEnv(process.env));
const { getTestDevice, closeTestDevice } = await import('../src/testing/gpu');
const { deviceAdapter } = await import('../src/engine/device');
const { Tensor } = await import('../src/engine/tensor');
const { copy } = await import('../src/engine/kernels/copy');
const { SGD } = await import('../src/optim/sgd');
const { traceModel, prepareStageModel } = await import('../src/dsl/index');
const { set_fake_quantize } = await import('../src/quant/fake_quant_state');
const { FakeQuantState } = await import('../src/quant/types');
const { fakeQuantizeForward, packQParamsInto } = await import('../src/quant/kernels/fake_quantize');
const { StateRing, LossLog } = await import('../src/pipeline/nonfinite');

const steps = Number(arg('steps', '6'));
const batch = Number(arg('batch', '64'));

await getTestDevice();
const adapter = deviceAdapter();
console.log(`adapter: ${adapter.vendor} ${adapter.architecture} (${adapter.description}); batch ${batch}`);

const measure = (fn: () => void, reps = steps) => bestOfThree(fn, reps);

const { program, trainStep } = (await import('./lib/reference_step')).referenceExample(batch);

// Float: the traced, unfused model, as the float stage trains it.
const floatModel = program.createModel();
const traced = traceModel(floatModel, { fuse: false });
if (!traced.ok) throw new Error('trace failed');
traced.graph.train();
const floatOpt = new SGD(floatModel.parameters(), { lr: 0.01, momentum: 0.9, weight_decay: 4e-5 });
const float = await measure(trainStep(traced.graph, floatOpt));

// QAT: prepared with the QAT template, train + QAT, first observed once (as after calibration).
const qatModel = prepareStageModel(program, 'qat', { float_state_dict: floatModel.state_dict() });
qatModel.train();
set_fake_quantize(qatModel, FakeQuantState.QAT);
const qatOpt = new SGD(qatModel.parameters().filter((p) => p.requiresGrad), { lr: 0.001, momentum: 0.9, weight_decay: 4e-5 });
const qatBare = await measure(trainStep(qatModel, qatOpt));
const ring = new StateRing(25);
const log = new LossLog(20);
let step = 0;
const order = new Int32Array(batch);
const qatStage = await measure(
  trainStep(qatModel, qatOpt, (loss) => {
    step++;
    log.add(step, loss);
    ring.record(step, qatModel, order);
  }),
);

const row = (name: string, t: Timing) => `${name.padEnd(44)} ${t.cpu.toFixed(1).padStart(8)} ms CPU  ${t.wall.toFixed(1).padStart(8)} ms wall  ${((batch * 1000) / t.cpu).toFixed(1).padStart(7)} images per CPU-s`;
console.log(row('float step', float));
console.log(row('QAT step (model only)', qatBare));
console.log(row('QAT step (as trainQat: + loss log, state ring)', qatStage));
console.log(`QAT step / float step: ${(qatStage.cpu / float.cpu).toFixed(2)} (model only ${(qatBare.cpu / float.cpu).toFixed(2)}); target ≤ 1.25`);

// Fake quantize vs copy on conv1's output shape (per tensor, int8).
const n = batch * 16 * 28 * 28;
const x = Tensor.fromArray(Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3), [batch, 16, 28, 28]);
const scale = Tensor.fromArray([0.03], [1]);
const zp = Tensor.fromArray([0], [1], 'int32');
const packed = packQParamsInto(scale, zp, null);
const perChannelScale = Tensor.fromArray(new Float32Array(16).fill(0.03), [16]);
const perChannelZp = Tensor.zeros([16], 'int32');
const packedCh = packQParamsInto(perChannelScale, perChannelZp, null);
const bytes = n * 8;
const gbps = (t: Timing) => bytes / t.cpu / 1e6;
const tCopy = await measure(() => copy(x).dispose(), 20);
const tFq = await measure(() => fakeQuantizeForward(x, packed, -128, 127, null).dispose(), 20);
const tFqCh = await measure(() => fakeQuantizeForward(x, packedCh, -128, 127, 1).dispose(), 20);
console.log(`copy kernel                 ${gbps(tCopy).toFixed(2)} GB per CPU-s (${(bytes / 1e6).toFixed(1)} MB moved)`);
console.log(`fake quantize, per tensor   ${gbps(tFq).toFixed(2)} GB per CPU-s  ${(gbps(tFq) / gbps(tCopy)).toFixed(2)}× copy; target ≥ 0.9`);
console.log(`fake quantize, per channel  ${gbps(tFqCh).toFixed(2)} GB per CPU-s  ${(gbps(tFqCh) / gbps(tCopy)).toFixed(2)}× copy`);

ring.dispose();
log.dispose();
await closeTestDevice();
process.exit(0);
