import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { withMode } from '../../fixed/model';
import { convertedExample, testImages } from '../testing_models';
import { exportOnnx } from './export';
import { compareWithOrt } from './ort_compare';
import { ProtoWriter } from './protobuf';

const IMAGES = 24;

describe('protobuf writer', () => {
  it('encodes varints, negative int64, floats and nested messages as the wire format says', () => {
    expect(Array.from(new ProtoWriter().int(1, 150).finish())).toEqual([0x08, 0x96, 0x01]);
    expect(Array.from(new ProtoWriter().int(1, -1).finish())).toEqual([0x08, ...new Array(9).fill(0xff), 0x01]);
    expect(Array.from(new ProtoWriter().float(2, 1).finish())).toEqual([0x15, 0, 0, 0x80, 0x3f]);
    expect(Array.from(new ProtoWriter().message(3, new ProtoWriter().string(1, 'ab')).finish())).toEqual([0x1a, 4, 0x0a, 2, 0x61, 0x62]);
    expect(Array.from(new ProtoWriter().packedInts(4, [3, 270]).finish())).toEqual([0x22, 3, 3, 0x8e, 0x02]);
  });
});

describe('ONNX export, run by onnxruntime-node', () => {
  for (const id of ['reference_cnn', 'residual', 'add_net', 'int16', 'cat_net', 'affine_cnn'] as const) {
    it(`${id}: 'integer' style reproduces every integer of our float-requant mode`, async () => {
      const { model } = await convertedExample(id, 'float');
      const r = await compareWithOrt(model, testImages(IMAGES).images, { style: 'integer' });
      for (const v of r.values) expect(v.differing, v.name).toBe(0);
      expect(r.argmaxEqual).toBe(IMAGES);
      expect(r.outputMaxAbs).toBe(0);
    });
  }

  for (const id of ['reference_cnn', 'freeze_backbone', 'affine_cnn'] as const) {
    it(`${id}: 'qoperator' style (QLinearConv, QuantizeLinear, ...) within 1 LSB, argmax equal`, async () => {
      const { model } = await convertedExample(id, 'float');
      const r = await compareWithOrt(model, testImages(IMAGES).images, { style: 'qoperator' });
      for (const v of r.values) if (model.values.find((x) => x.name === v.name)!.dtype !== 'int32') expect(v.maxLsb, v.name).toBeLessThanOrEqual(1);
      expect(r.argmaxEqual).toBe(IMAGES);
    });
  }

  it('a multiplier-mode model exports the same ONNX, within 1 LSB of our multiplier mode', async () => {
    const { model } = await convertedExample('reference_cnn', 'multiplier');
    expect(Array.from(exportOnnx(model)).length).toBe(Array.from(exportOnnx(withMode(model, 'float'))).length);
    const r = await compareWithOrt(model, testImages(IMAGES).images, { style: 'qoperator' });
    for (const v of r.values) if (v.name !== 'classifier') expect(v.maxLsb, v.name).toBeLessThanOrEqual(1);
    expect(r.argmaxEqual).toBeGreaterThanOrEqual(IMAGES - 1);
  });

  it('declares the float input and output with a symbolic batch, opset 21, and QOperator nodes', async () => {
    const { model } = await convertedExample('reference_cnn', 'float');
    const session = await ort.InferenceSession.create(exportOnnx(model, { metadata: { classes: 'a,b' } }));
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['dequant']);
    const out = await session.run({ x: new ort.Tensor('float32', testImages(3).images, [3, 1, 28, 28]) });
    expect(out.dequant.dims).toEqual([3, 10]);
    await session.release();
    const text = new TextDecoder('latin1').decode(exportOnnx(model));
    for (const op of ['QuantizeLinear', 'QLinearConv', 'MaxPool', 'Flatten', 'MatMulInteger', 'DequantizeLinear']) expect(text).toContain(op);
    expect(new TextDecoder('latin1').decode(exportOnnx(model, { style: 'integer' }))).not.toContain('QLinearConv');
  });
});
