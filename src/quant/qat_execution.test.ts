/**
 * Traced, fused and prepared models running real tensors on the device: the graph computes what the
 * eager model does, fusion and BN folding keep the result, and the prepared model runs in the three
 * fake-quant states with gradients reaching the weights and the BN affine parameters.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import { Tensor, tidy, keep } from '../engine/tensor';
import { F } from '../engine/functional';
import { backward } from '../engine/autograd';
import { manual_seed } from '../nn/init';
import type { Module } from '../nn/module';
import { evaluate, type EvaluatedProgram } from '../dsl/evaluate';
import { findExample } from '../dsl/examples/index';
import { prepareStageModel } from '../dsl/stage';
import { symbolic_trace } from '../graph/tracer';
import { fuse_fx } from '../graph/fuse';
import { FusedConv2d } from '../nn/fused';
import { set_fake_quantize } from './fake_quant_state';
import { FakeQuantState } from './types';
import type { FakeQuantize } from './fake_quantize';

beforeAll(async () => {
  await getTestDevice();
});

function program(id: string): EvaluatedProgram {
  const r = evaluate(findExample(id)!.files);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.program;
}

function images(n: number, seed: number): Tensor {
  let s = seed;
  const data = Array.from({ length: n * 28 * 28 }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 0.5);
  return keep(Tensor.fromArray(data, [n, 1, 28, 28]));
}

async function run(model: Module, x: Tensor): Promise<number[]> {
  const y = keep(tidy(() => model(x) as Tensor));
  const out = await y.toArray();
  y.dispose();
  return out;
}

function maxAbsDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
}

/** Puts BN running statistics away from (0, 1), so folding them is not trivially the identity. */
async function trainBnStatistics(model: Module, x: Tensor): Promise<void> {
  model.train();
  for (let i = 0; i < 3; i++) tidy(() => void model(x));
  model.eval();
}

describe('running traced and prepared models on the device', () => {
  it('the traced graph, the fused graph and the BN-folded modules compute what the eager model does', async () => {
    for (const id of ['reference_cnn', 'residual']) {
      manual_seed(1);
      const p = program(id);
      const model = p.createModel();
      const x = images(2, 7);
      await trainBnStatistics(model, x);
      const eager = await run(model, x);
      expect(eager).toHaveLength(20);
      const traced = symbolic_trace(model);
      traced.eval();
      expect(maxAbsDiff(await run(traced, x), eager)).toBe(0);
      const fused = fuse_fx(symbolic_trace(model));
      fused.eval();
      expect(maxAbsDiff(await run(fused, x), eager)).toBeLessThan(1e-6);
      // Fold every BN into its conv (running statistics): the same function up to rounding.
      for (const [name, m] of [...fused.named_modules()]) {
        if (m instanceof FusedConv2d && m.bn) fused.replace_submodule(name, await m.fold_bn());
      }
      expect([...fused.modules()].some((m) => m instanceof FusedConv2d && m.bn)).toBe(false);
      expect(maxAbsDiff(await run(fused, x), eager)).toBeLessThan(1e-4);
      x.dispose();
    }
  });

  it('a prepared model: CALIBRATION gives the float output and sets scales; VALIDATION fake-quantizes close to it', async () => {
    manual_seed(2);
    const p = program('reference_cnn');
    const floatModel = p.createModel();
    const x = images(4, 11);
    await trainBnStatistics(floatModel, x);
    const reference = await run(floatModel, x);
    // The QAT templates' observers (moving-average min/max); the calibration ones (MSE) have their own tests.
    const calib = prepareStageModel(p, 'qat', { float_state_dict: floatModel.state_dict(), example_inputs: x });
    calib.eval();
    set_fake_quantize(calib, FakeQuantState.CALIBRATION);
    const observed = await run(calib, x);
    expect(maxAbsDiff(observed, reference)).toBeLessThan(1e-4);
    const quantScale = (await (calib.get_submodule('quant.activation_post_process') as FakeQuantize).scale.toArray())[0]!;
    expect(quantScale).not.toBe(1);
    expect(quantScale).toBeGreaterThan(0);
    calib.eval();
    set_fake_quantize(calib, FakeQuantState.VALIDATION);
    const validated = await run(calib, x);
    const diff = maxAbsDiff(validated, reference);
    const range = Math.max(...reference.map(Math.abs));
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(0.1 * range);
    x.dispose();
  });

  it('QAT: training-mode BN folding gives the float output and gradients when fake quantization is off', async () => {
    manual_seed(3);
    const p = program('residual');
    const floatModel = p.createModel();
    const x = images(4, 13);
    await trainBnStatistics(floatModel, x);
    const qat = prepareStageModel(p, 'qat', { float_state_dict: floatModel.state_dict() });
    // With fake quantization off, the folded QAT conv+BN equals conv then BN (batch statistics).
    qat.train();
    set_fake_quantize(qat, FakeQuantState.QAT);
    for (const m of qat.modules()) if ((m as { fake_quant_enabled?: boolean }).fake_quant_enabled) (m as FakeQuantize).disable_fake_quant();
    floatModel.train();
    const floatTrain = await run(floatModel, x);
    const qatNoFq = await run(qat, x);
    expect(maxAbsDiff(qatNoFq, floatTrain)).toBeLessThan(1e-3);

    // Gradients through the folding (fake quantizers off, so the tape is the folding's own ops).
    const target = Tensor.fromArray([1, 3, 5, 7], [4], 'int32');
    tidy(() => {
      const loss = F.cross_entropy(qat(x) as Tensor, target);
      backward(loss);
    });
    const stem = qat.get_submodule('stem') as FusedConv2d;
    const add = qat.get_submodule('_generated_add_0') as FusedConv2d;
    const grads: number[][] = [];
    for (const t of [stem.conv.weight, stem.bn!.weight!, add.conv.weight, add.bn!.weight!, qat.get_submodule('classifier').parameters()[0]!]) {
      expect(t.grad, `${t.name} [${t.shape.join(', ')}]`).not.toBeNull();
      const g = await t.grad!.toArray();
      expect(g.some((v) => v !== 0)).toBe(true);
      expect(g.every(Number.isFinite)).toBe(true);
      grads.push(g);
    }
    // The float model (same weights, conv then BN) has the same gradients.
    floatModel.train();
    tidy(() => {
      const loss = F.cross_entropy(floatModel(x) as Tensor, target);
      backward(loss);
    });
    const floatGrad = async (path: string) => (await floatModel.get_submodule(path).parameters()[0]!.grad!.toArray());
    const pairs: [number[], number[]][] = [
      [grads[0]!, await floatGrad('stem')],
      [grads[1]!, await floatGrad('stem_bn')],
      [grads[2]!, await floatGrad('block1.conv2')],
      [grads[3]!, await floatGrad('block1.bn2')],
    ];
    for (const [q, f] of pairs) {
      const scale = Math.max(...f.map(Math.abs));
      expect(maxAbsDiff(q, f)).toBeLessThan(1e-3 * scale);
    }
    target.dispose();
    x.dispose();
  });
});
