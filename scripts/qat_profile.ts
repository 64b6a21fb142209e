/**
 * Where a QAT step's time goes, next to a float step: the dispatches of one training step of the
 * reference CNN (batch 64) are recorded, counted and replayed by kernel family, each family timed in this
 * process's CPU time (SwiftShader runs on the CPU). Also the JS time to encode a step.
 *
 *   npx vite-node scripts/qat_profile.ts [-- --batch 64 --reps 3]
 */
import { gpuTestEnv } from '../src/testing/gpuEnv';
import { arg, bestOfThree } from './lib/timing';

Object.assign(process.env, gpuTestEnv(process.env));
const { getTestDevice, closeTestDevice } = await import('../src/testing/gpu');
const { sync, flush, dispatch, setDispatchRecorder, submitCount } = await import('../src/engine/commands');
const { SGD } = await import('../src/optim/sgd');
const { traceModel, prepareStageModel } = await import('../src/dsl/index');
const { set_fake_quantize } = await import('../src/quant/fake_quant_state');
const { FakeQuantState } = await import('../src/quant/types');
const { StateRing, LossLog } = await import('../src/pipeline/nonfinite');
type RecordedDispatch = import('../src/engine/commands').RecordedDispatch;

const batch = Number(arg('batch', '64'));
const reps = Number(arg('reps', '3'));

await getTestDevice();
const { program, trainStep } = (await import('./lib/reference_step')).referenceExample(batch);

const cpuMs = (fn: () => void, times = reps) => bestOfThree(fn, times);

async function profile(name: string, step: () => void): Promise<number> {
  step();
  await sync();
  const recorded: RecordedDispatch[] = [];
  setDispatchRecorder((d) => recorded.push(d));
  const s0 = submitCount();
  const e0 = performance.now();
  step();
  const encode = performance.now() - e0;
  flush();
  const submits = submitCount() - s0;
  setDispatchRecorder(null);
  await sync();
  const whole = await cpuMs(step);
  const families = new Map<string, RecordedDispatch[]>();
  for (const d of recorded) {
    const label = d.pipeline.label || '?';
    const list = families.get(label) ?? [];
    list.push(d);
    families.set(label, list);
  }
  const rows: { label: string; count: number; ms: number }[] = [];
  let sum = 0;
  for (const [label, list] of families) {
    const t = await cpuMs(() => {
      for (const d of list) dispatch(d.pipeline, d.buffers, d.workgroups, d.uniforms);
    });
    rows.push({ label, count: list.length, ms: t.cpu });
    sum += t.cpu;
  }
  rows.sort((a, b) => b.ms - a.ms);
  console.log(`\n== ${name}: ${recorded.length} dispatches, ${submits} submits, encode ${encode.toFixed(1)} ms JS; step ${whole.cpu.toFixed(1)} ms CPU (${whole.wall.toFixed(1)} wall); replayed families sum ${sum.toFixed(1)} ms CPU`);
  for (const r of rows) console.log(`  ${r.label.padEnd(60)} ${String(r.count).padStart(4)} × ${r.ms.toFixed(2).padStart(8)} ms`);
  return whole.cpu;
}

const floatModel = program.createModel();
const traced = traceModel(floatModel, { fuse: false });
if (!traced.ok) throw new Error('trace failed');
traced.graph.train();
const floatOpt = new SGD(floatModel.parameters(), { lr: 0.01, momentum: 0.9, weight_decay: 4e-5 });
const floatMs = await profile('float step', trainStep(traced.graph, floatOpt));

const qatModel = prepareStageModel(program, 'qat', { float_state_dict: floatModel.state_dict() });
qatModel.train();
set_fake_quantize(qatModel, FakeQuantState.QAT);
const qatOpt = new SGD(qatModel.parameters().filter((p) => p.requiresGrad), { lr: 0.001, momentum: 0.9, weight_decay: 4e-5 });
const qatMs = await profile('QAT step (model only)', trainStep(qatModel, qatOpt));
const ring = new StateRing(25);
const log = new LossLog(20);
let n = 0;
const order = new Int32Array(batch);
const stageMs = await profile(
  'QAT step (as trainQat)',
  trainStep(qatModel, qatOpt, (loss) => {
    n++;
    log.add(n, loss);
    ring.record(n, qatModel, order);
  }),
);
console.log(`\nQAT/float: model only ${(qatMs / floatMs).toFixed(2)}, as trainQat ${(stageMs / floatMs).toFixed(2)}`);
ring.dispose();
log.dispose();
await closeTestDevice();
process.exit(0);
