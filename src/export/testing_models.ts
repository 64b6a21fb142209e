/**
 * Test helper: gallery examples prepared, given random BN statistics and calibrated in plain TypeScript
 * (no engine ops needed), then converted — realistic integer models for export tests.
 */
import { evaluate } from '../dsl/evaluate';
import { findExample } from '../dsl/examples/index';
import { prepareStageModel } from '../dsl/stage';
import type { PreparedModel } from '../quant/prepare';
import { convert, type ConvertResult } from '../fixed/convert';
import type { RequantMode } from '../fixed/requant';
import { seeded } from '../fixed/testing';
import { calibrateReference, randomizeBatchNorm, type Act } from '../fixed/testing_qat';
import { fashionMnistTest } from '../fixed/testing_mnist';

export function testImages(count: number, offset = 0): { images: Float32Array; labels: Int32Array } {
  const data = fashionMnistTest(offset + count);
  return { images: data.images.slice(offset * 784, (offset + count) * 784), labels: data.labels.slice(offset, offset + count) };
}

export async function calibratedExample(id: string, seed = 1): Promise<PreparedModel> {
  const r = evaluate(findExample(id)!.files);
  if (!r.ok) throw new Error(`${id}: ${JSON.stringify(r.diagnostics)}`);
  const m = prepareStageModel(r.program, 'qat');
  m.eval();
  randomizeBatchNorm(m, seeded(seed));
  const calib: Act = { data: Float64Array.from(testImages(32, 200).images), shape: [32, 1, 28, 28] };
  await calibrateReference(m, [[calib]]);
  return m;
}

const calibrated = new Map<string, Promise<PreparedModel>>();

/** Converted (the calibrated model is made once per example and seed in a test file; treat it as read-only). */
export async function convertedExample(id: string, mode: RequantMode = 'multiplier', seed = 1): Promise<ConvertResult & { qat: PreparedModel }> {
  const key = `${id}/${seed}`;
  if (!calibrated.has(key)) calibrated.set(key, calibratedExample(id, seed));
  const qat = await calibrated.get(key)!;
  return { ...(await convert(qat, { mode })), qat };
}
