import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import { Tensor } from '../engine/tensor';
import { IntegerExecutor } from '../fixed/gpu/executor';
import { runIntegerModelCpu } from '../fixed/executor_cpu';
import type { IntegerModel } from '../fixed/model';
import { crc32, readQatm, writeQatm, QATM_VERSION } from './qatm';
import { QatmRuntime } from './runtime/index';
import { convertedExample, testImages } from './testing_models';

let cnn: IntegerModel;
let residual: IntegerModel;

beforeAll(async () => {
  cnn = (await convertedExample('reference_cnn')).model;
  residual = (await convertedExample('residual', 'float')).model;
});

function patch(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] = value;
  return copy;
}

describe('.qatm file', () => {
  it('round-trips the model exactly (typed arrays, constants, mode) and keeps the metadata', () => {
    const bytes = writeQatm(cnn, { classes: ['a', 'b'], normalization: { mean: 0.286, std: 0.353 }, march: 'bayes' });
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('QATM');
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(4, true)).toBe(QATM_VERSION);
    expect(view.getUint32(16, true) % 16).toBe(0);
    const back = readQatm(bytes);
    expect(back.model).toEqual(cnn);
    const conv1 = back.model.ops.find((op) => op.name === 'conv1') as { weight: Int8Array; bias: Int32Array };
    expect(conv1.weight).toBeInstanceOf(Int8Array);
    expect(conv1.bias).toBeInstanceOf(Int32Array);
    expect(back.header.metadata.march).toBe('bayes');
    expect(back.header.tensors.map((t) => t.name)).toEqual(['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'classifier.weight', 'classifier.bias']);
    // Weights dominate the size: 16·9 + 32·144 + 10·1568 int8, biases int32, plus a small header.
    expect(bytes.length).toBeLessThan(16 * 9 + 32 * 144 + 10 * 1568 + 4 * 58 + 12000);
  });

  it('is little-endian with tensors at their table offsets', () => {
    const bytes = writeQatm(residual);
    const { header } = readQatm(bytes);
    const dataOffset = new DataView(bytes.buffer).getUint32(16, true);
    const entry = header.tensors.find((t) => t.dtype === 'int32')!;
    const op = residual.ops.find((o) => `${o.name}.bias` === entry.name) as { bias: Int32Array };
    const raw = new DataView(bytes.buffer, dataOffset + entry.offset, 4);
    expect(raw.getInt32(0, true)).toBe(op.bias[0]);
    expect(raw.getUint8(0)).toBe(op.bias[0] & 0xff);
  });

  it('refuses bad magic, a newer version, truncation and corruption, saying which', () => {
    const bytes = writeQatm(cnn);
    expect(() => readQatm(patch(bytes, 0, 0x50))).toThrow(/wrong magic "PATM"/);
    expect(() => readQatm(patch(bytes, 4, QATM_VERSION + 1))).toThrow(/version 2 is not supported/);
    expect(() => readQatm(bytes.subarray(0, 10))).toThrow(/truncated: 10 bytes/);
    expect(() => readQatm(bytes.subarray(0, bytes.length - 100))).toThrow(/truncated: the data section ends/);
    expect(() => readQatm(patch(bytes, bytes.length - 50, bytes[bytes.length - 50] ^ 1))).toThrow(/checksum mismatch/);
  });

  it('crc32 is the IEEE CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

describe('QatmRuntime', () => {
  beforeAll(async () => {
    await getTestDevice();
  });

  for (const which of ['reference_cnn', 'residual'] as const) {
    it(`${which}: CPU and WebGPU backends give exactly the in-page executors' outputs`, async () => {
      const model = which === 'reference_cnn' ? cnn : residual;
      const bytes = writeQatm(model);
      const { images } = testImages(6);
      const input = model.inputs[0];
      const out = model.outputs[0];

      const expectedCpu = runIntegerModelCpu(model, { [input]: images }).get(out)!;
      const inPage = await IntegerExecutor.create(model);
      const x = Tensor.fromArray(images, [6, 1, 28, 28]);
      const results = inPage.run({ [input]: x });
      x.dispose();
      const expectedGpu = await inPage.read(out, results.get(out)!);
      results.forEach((t) => t.dispose());
      inPage.dispose();
      expect(Array.from(expectedGpu)).toEqual(Array.from(expectedCpu));

      const cpu = await QatmRuntime.create(bytes, { backend: 'cpu' });
      expect(cpu.backend).toBe('cpu');
      expect(Array.from((await cpu.run(images))[out])).toEqual(Array.from(expectedCpu));

      const gpu = await QatmRuntime.create(bytes, { backend: 'webgpu', device: await getTestDevice() });
      expect(gpu.backend).toBe('webgpu');
      expect(Array.from((await gpu.run({ [input]: images }))[out])).toEqual(Array.from(expectedGpu));
      expect(await gpu.predict(images)).toEqual(await cpu.predict(images));
      expect(gpu.inputs).toEqual([{ name: input, shape: [1, 28, 28] }]);
      gpu.dispose();
      cpu.dispose();
    });
  }

  it('checks inputs and names what is wrong', async () => {
    const rt = await QatmRuntime.create(writeQatm(cnn), { backend: 'cpu' });
    await expect(rt.run(new Float32Array(100))).rejects.toThrow(/input "x" has 100 values, not a multiple of \[1, 28, 28\]/);
    await expect(rt.run({})).rejects.toThrow(/no data for input "x"/);
    rt.dispose();
    await expect(rt.run(new Float32Array(784))).rejects.toThrow(/disposed/);
  });
});
