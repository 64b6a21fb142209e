/**
 * Node-only: runs an exported ONNX model in onnxruntime-node next to our CPU executor on the same images
 * and measures how far they part — per quantized value, the largest difference in LSB (integers in the
 * storage domain) and how many differ at all; on the output, argmax agreement. Used by the ONNX tests
 * (a subset) and scripts/onnx_check.ts (all 10k test images).
 */
import * as ort from 'onnxruntime-node';
import { runIntegerModelCpu } from '../../fixed/executor_cpu';
import type { IntegerModel } from '../../fixed/model';
import { exportOnnx, type OnnxStyle } from './export';

export interface ValueAgreement {
  name: string;
  maxLsb: number;
  /** Elements that differ at all. */
  differing: number;
  count: number;
}

export interface OrtComparison {
  values: ValueAgreement[];
  /** Images whose output argmax is equal. */
  argmaxEqual: number;
  count: number;
  /** Largest |ours − ORT| of the float output. */
  outputMaxAbs: number;
}

/** Every integer value of the model (what can be compared in LSB). */
export function integerValues(model: IntegerModel): string[] {
  return model.values.filter((v) => v.dtype !== 'float32').map((v) => v.name);
}

export async function compareWithOrt(
  model: IntegerModel,
  images: Float32Array,
  options: { style?: OnnxStyle; batch?: number; values?: readonly string[] } = {},
): Promise<OrtComparison> {
  return (await compareStylesWithOrt(model, images, { ...options, styles: [options.style ?? 'qoperator'] }))[0];
}

/** Several export styles against one run of our executor per batch (the CPU executor is the slow part). */
export async function compareStylesWithOrt(
  model: IntegerModel,
  images: Float32Array,
  options: { styles: readonly OnnxStyle[]; batch?: number; values?: readonly string[] },
): Promise<OrtComparison[]> {
  const values = options.values ?? integerValues(model);
  const sessions = await Promise.all(options.styles.map((style) => ort.InferenceSession.create(exportOnnx(model, { style, extraOutputs: values }))));
  const input = model.inputs[0];
  const shape = model.values.find((v) => v.name === input)!.shape;
  const per = shape.reduce((a, b) => a * b, 1);
  const total = images.length / per;
  const batch = options.batch ?? 256;
  const info = new Map(model.values.map((v) => [v.name, v]));
  const output = model.outputs[0];
  const k = info.get(output)!.shape.reduce((a, b) => a * b, 1);
  const results = sessions.map(() => ({
    agreement: new Map<string, ValueAgreement>(values.map((name) => [name, { name, maxLsb: 0, differing: 0, count: 0 }])),
    argmaxEqual: 0,
    outputMaxAbs: 0,
  }));
  for (let start = 0; start < total; start += batch) {
    const n = Math.min(batch, total - start);
    const x = images.subarray(start * per, (start + n) * per);
    const ours = runIntegerModelCpu(model, { [input]: x });
    for (let si = 0; si < sessions.length; si++) {
      const r = results[si];
      const theirs = await sessions[si].run({ [input]: new ort.Tensor('float32', Float32Array.from(x), [n, ...shape]) });
      for (const name of values) {
        const v = info.get(name)!;
        const offset = v.qdtype === 'quint8' ? 128 : 0;
        const a = ours.get(name)!;
        const b = theirs[name].data as ArrayLike<number>;
        const s = r.agreement.get(name)!;
        if (a.length !== b.length) throw new Error(`ORT compare: "${name}" has ${a.length} values here, ${b.length} in ONNX Runtime`);
        for (let i = 0; i < a.length; i++) {
          const d = Math.abs(a[i] - (Number(b[i]) - offset));
          if (d > 0) s.differing++;
          if (d > s.maxLsb) s.maxLsb = d;
        }
        s.count += a.length;
      }
      const oa = ours.get(output)!;
      const ob = theirs[output].data as Float32Array;
      for (let i = 0; i < n; i++) {
        let ia = 0;
        let ib = 0;
        for (let j = 1; j < k; j++) {
          if (oa[i * k + j] > oa[i * k + ia]) ia = j;
          if (ob[i * k + j] > ob[i * k + ib]) ib = j;
        }
        if (ia === ib) r.argmaxEqual++;
      }
      for (let i = 0; i < oa.length; i++) r.outputMaxAbs = Math.max(r.outputMaxAbs, Math.abs(oa[i] - ob[i]));
    }
  }
  for (const sess of sessions) await sess.release();
  return results.map((r) => ({ values: [...r.agreement.values()], argmaxEqual: r.argmaxEqual, count: total, outputMaxAbs: r.outputMaxAbs }));
}
