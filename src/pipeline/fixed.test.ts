import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import { readQatm } from '../export/qatm';
import { QatmRuntime } from '../export/runtime/index';
import { prepareStageModel } from '../dsl/stage';
import { set_fake_quantize } from '../quant/fake_quant_state';
import { FakeQuantState } from '../quant/types';
import { calibrateReference } from '../fixed/testing_qat';
import { checkpointOf } from './checkpoints';
import { runCheck } from './check';
import { runCompile } from './compile';
import { runConvert } from './convert';
import { evaluateFixed, runFixed } from './fixed';
import { validate } from './validation';
import { exampleFiles, loadProgram, smallFashionMnist, stageContext } from './testing/stage_fixture';
import type { StageProgress } from './types';

beforeAll(async () => {
  await getTestDevice();
});

describe('convert → fixed → check → compile stages', () => {
  it('reference CNN, calibrated: fixed-point accuracy near fake quant, on GPU and CPU alike', async () => {
    const program = loadProgram(exampleFiles('reference_cnn'));
    const data = smallFashionMnist(64, 128);
    const progress: StageProgress[] = [];
    const ctx = stageContext(data, progress);
    // Freshly initialised weights (training is the float stage's test) and a plain-TypeScript calibration
    // (the calibration stage has its own tests; on this machine's software GPU both are slow).
    const float = { state: new Map([...program.createModel().state_dict()].map(([k, t]) => [k, t] as const)) };
    const calibrated = prepareStageModel(program, 'qat', { float_state_dict: float.state });
    calibrated.eval();
    await calibrateReference(calibrated, [[{ data: Float64Array.from(data.train.images.subarray(0, 64 * 784)), shape: [64, 1, 28, 28] }]]);
    set_fake_quantize(calibrated, FakeQuantState.VALIDATION);
    const fakeQuant = await validate(calibrated, data.test);
    const checkpoint = await checkpointOf(calibrated, 'qat');
    calibrated.dispose();

    const { model: qat, result: convert } = await runConvert(program, ctx, { of: 'qat', checkpoint, float_state_dict: float.state });
    try {
      expect(convert.ops).toBe(8);
      expect(convert.layers.find((l) => l.name === 'conv1')).toMatchObject({ op: 'conv2d', dtype: 'qint8', weightDtype: 'qint8', shape: [16, 28, 28] });
      // int8 weights (16·9 + 32·144 + 10·1568 bytes), int32 biases and per-channel requant constants.
      expect(convert.modelBytes).toBe(16 * 9 + 32 * 144 + 10 * 1568 + 4 * (16 + 32 + 10) + 8 * (16 + 32));

      const fixed = await runFixed(ctx, { converted: convert.converted, qat, settings: { compareImages: 16 } });
      expect(fixed.test.backend).toBe('webgpu');
      expect(fixed.test.count).toBe(128);
      expect(Math.abs(fixed.test.accuracy - fakeQuant.accuracy)).toBeLessThanOrEqual(0.03);
      expect(fixed.layers.map((l) => l.node)).toEqual(expect.arrayContaining(['conv1', 'conv2', 'classifier']));
      for (const l of fixed.layers.filter((x) => x.dtype === 'qint8')) expect(l.maxLsb, l.node).toBeLessThanOrEqual(1.0001);
      expect(progress.some((p) => p.stage === 'fixed' && p.fraction === 1)).toBe(true);

      const cpu = await evaluateFixed(convert.converted.model, data.test, { backend: 'cpu', testSubset: 64 });
      const gpu = await evaluateFixed(convert.converted.model, data.test, { backend: 'webgpu', testSubset: 64 });
      expect(cpu.backend).toBe('cpu');
      expect(cpu.accuracy).toBe(gpu.accuracy);
      expect(cpu.loss).toBeCloseTo(gpu.loss, 4);
      // Throughput counts from the end of the first batch (which also waits for kernel compilation): the
      // 48 images after it take less than the whole call, and batches give the same accuracy.
      const began = performance.now();
      const batched = await evaluateFixed(convert.converted.model, data.test, { backend: 'webgpu', testSubset: 64, batchSize: 16 });
      const elapsed = (performance.now() - began) / 1000;
      expect(batched.accuracy).toBe(gpu.accuracy);
      expect(batched.imagesPerSecond).toBeGreaterThan(0);
      expect(48 / batched.imagesPerSecond).toBeLessThan(elapsed);

      const check = await runCheck(ctx, { model: convert.converted, settings: { march: 'bernoulli2' } });
      expect(check.report.passed).toBe(true);

      const compiled = await runCompile(program, ctx, { converted: convert.converted, qat, check: check.report, settings: { march: 'bernoulli2' }, accuracy: { fixed: fixed.test.accuracy } });
      expect(compiled.files.map((f) => f.name)).toEqual(['net.qatm', 'net.onnx', 'net_qat.py', 'net_weights.json', 'model_check_result.txt']);
      const qatm = readQatm(compiled.files[0].data);
      expect(qatm.header.metadata).toMatchObject({ modelName: 'Net', march: 'bernoulli2', accuracy: { fixed: fixed.test.accuracy } });
      expect(qatm.model).toEqual(convert.converted.model);
      // The downloads run: the runtime and ONNX Runtime agree with the stage's accuracy on the same images.
      const runtime = await QatmRuntime.create(compiled.files[0].data, { backend: 'cpu' });
      const images = data.test.images.subarray(0, 64 * 784);
      const predicted = await runtime.predict(images);
      const session = await ort.InferenceSession.create(compiled.files[1].data);
      const onnx = (await session.run({ x: new ort.Tensor('float32', Float32Array.from(images), [64, 1, 28, 28]) })).dequant.data as Float32Array;
      let agree = 0;
      for (let i = 0; i < 64; i++) {
        let best = 0;
        for (let j = 1; j < 10; j++) if (onnx[i * 10 + j] > onnx[i * 10 + best]) best = j;
        if (best === predicted[i]) agree++;
      }
      expect(agree).toBeGreaterThanOrEqual(63);
      expect(predicted.filter((p, i) => p === data.test.labels[i]).length / 64).toBeCloseTo(cpu.accuracy, 5);
      expect(new TextDecoder().decode(compiled.files[4].data)).toContain('march: bernoulli2');
      runtime.dispose();
      await session.release();
    } finally {
      qat.dispose();
    }
  });
});
