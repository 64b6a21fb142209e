/**
 * Runs an IntegerModel on the CPU references (the living definition, and the fallback without WebGPU).
 * Values are host arrays in PyTorch's layout (NCHW, or [N, C]); integers in the storage domain.
 */
import { concatCpu } from './cpu/concat';
import { conv2dIntCpu } from './cpu/conv2d_int';
import { intAddCpu } from './cpu/int_add';
import { avgPool2dIntCpu, maxPool2dIntCpu } from './cpu/int_pool';
import { dequantizeCpu, quantizeCpu } from './cpu/quantize';
import { requantizeCpu } from './cpu/requantize';
import type { IntegerModel } from './model';
import { addSpec, avgPoolSpec, concatSpec, conv2dSpec, dequantizeSpec, maxPoolSpec, quantizeSpec, requantizeSpec, SpecContext, validateIntegerModel } from './specs';

export type HostValue = Int32Array | Float32Array;

function perSample(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The batch size that float inputs imply (all inputs must agree). */
export function batchOf(model: IntegerModel, sizes: Record<string, number>): number {
  const ctxValues = new Map(model.values.map((v) => [v.name, v]));
  let batch = -1;
  for (const name of model.inputs) {
    const size = sizes[name];
    const info = ctxValues.get(name);
    if (size === undefined || !info) throw new Error(`integer model: no data for input "${name}"`);
    const n = size / perSample(info.shape);
    if (!Number.isInteger(n) || n < 1) throw new Error(`integer model: input "${name}" has ${size} values, not a multiple of [${info.shape.join(', ')}]`);
    if (batch >= 0 && n !== batch) throw new Error(`integer model: inputs disagree on the batch size (${batch} and ${n})`);
    batch = n;
  }
  return batch;
}

/** Runs every op; returns every value (inputs included), keyed by name. */
export function runIntegerModelCpu(model: IntegerModel, inputs: Record<string, ArrayLike<number>>): Map<string, HostValue> {
  validateIntegerModel(model);
  const batch = batchOf(model, Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.length])));
  const ctx = new SpecContext(model, batch);
  const values = new Map<string, HostValue>();
  for (const name of model.inputs) values.set(name, Float32Array.from(inputs[name]));
  const get = (name: string): HostValue => {
    const v = values.get(name);
    if (!v) throw new Error(`integer model: value "${name}" was not computed`);
    return v;
  };
  for (const op of model.ops) {
    const x = get(op.inputs[0]);
    let y: HostValue;
    switch (op.kind) {
      case 'quantize':
        y = quantizeCpu(quantizeSpec(ctx, op), x);
        break;
      case 'dequantize':
        y = dequantizeCpu(dequantizeSpec(ctx, op), x);
        break;
      case 'conv2d':
      case 'linear':
        y = conv2dIntCpu(conv2dSpec(ctx, op), x, op.inputs.length > 1 ? get(op.inputs[1]) : undefined);
        break;
      case 'add':
        y = intAddCpu(addSpec(ctx, op), x, get(op.inputs[1]));
        break;
      case 'max_pool2d':
        y = maxPool2dIntCpu(maxPoolSpec(ctx, op), x);
        break;
      case 'avg_pool2d':
        y = avgPool2dIntCpu(avgPoolSpec(ctx, op), x);
        break;
      case 'requantize':
        y = requantizeCpu(requantizeSpec(ctx, op), x);
        break;
      case 'flatten':
        y = x;
        break;
      case 'concat':
        y = concatCpu(concatSpec(ctx, op), op.inputs.map(get));
        break;
    }
    values.set(op.output, y);
  }
  return values;
}
