/**
 * Runs an IntegerModel on WebGPU with the integer kernels. Results equal the CPU executor's
 * (executor_cpu.ts) bit for bit; the parity tests hold it to that.
 *
 * Integer values live in the device layout (layout.ts: NHWC, channels padded to 4). A flatten is free:
 * its output keeps the input's buffer and "device shape" [C, H, W], and a linear layer reading it gets
 * its weight columns permuted once, at preparation, to the NHWC order.
 */
import { Tensor, keep } from '../../engine/tensor';
import { deviceToNchw, paddedChannels } from '../layout';
import type { HostValue } from '../executor_cpu';
import type { IntegerModel, IntegerOp, LinearOp } from '../model';
import type { Conv2dOpSpec } from '../ops';
import {
  addSpec,
  avgPoolSpec,
  concatSpec,
  conv2dSpec,
  dequantizeSpec,
  maxPoolSpec,
  quantizeSpec,
  requantizeSpec,
  SpecContext,
  validateIntegerModel,
} from '../specs';
import { concatGpu } from './concat';
import { conv2dIntGpu, prepareConv2d, type PreparedConv2d } from './conv2d_int';
import { intAddGpu } from './int_add';
import { avgPool2dIntGpu, avgPoolTable, maxPool2dIntGpu } from './int_pool';
import { dequantizeGpu, dequantizeTable, quantizeGpu } from './quantize';
import { requantizeGpu, requantizeTable } from './requantize';
import { detectIntegerDot, preferredIntegerDot, type IntegerDot } from './shaders';

type Chw = readonly [number, number, number];

interface Prepared {
  conv?: PreparedConv2d;
  table?: Tensor;
}

function chw(shape: readonly number[]): Chw {
  return shape.length === 3 ? [shape[0], shape[1], shape[2]] : [shape[0], 1, 1];
}

function fail(op: IntegerOp, message: string): never {
  throw new Error(`${op.kind} "${op.name}" (GPU): ${message}`);
}

/** A linear layer's spec for an input stored as an un-flattened [C, H, W] device tensor. */
function linearOnDeviceLayout(spec: Conv2dOpSpec, op: LinearOp, dev: Chw): Conv2dOpSpec {
  const [c, h, w] = dev;
  const cp = paddedChannels(c);
  const k = h * w * cp;
  const [o] = op.weightShape;
  const weight = op.weightDtype === 'int8' ? new Int8Array(o * k) : new Int16Array(o * k);
  for (let oc = 0; oc < o; oc++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) weight[oc * k + (y * w + x) * cp + ch] = op.weight[oc * c * h * w + (ch * h + y) * w + x];
      }
    }
  }
  return { ...spec, xShape: [spec.xShape[0], k, 1, 1], wShape: [o, k, 1, 1], weight };
}

export interface RunOptions {
  /** Keep every intermediate value (per-layer comparisons), not only the model's outputs. */
  keep?: 'outputs' | 'all';
}

export class IntegerExecutor {
  /** Per-sample NCHW shape each value's device buffer holds (a flattened value keeps its input's). */
  private readonly deviceShapes = new Map<string, Chw>();
  private readonly prepared = new Map<IntegerOp, Prepared>();
  private disposed = false;

  private constructor(
    readonly model: IntegerModel,
    readonly dot: IntegerDot,
  ) {}

  /** Validates the model, chooses the dot product for this device, and uploads weights and tables. */
  static async create(model: IntegerModel): Promise<IntegerExecutor> {
    validateIntegerModel(model);
    await detectIntegerDot();
    const ex = new IntegerExecutor(model, preferredIntegerDot());
    ex.prepare();
    return ex;
  }

  private prepare(): void {
    const ctx = new SpecContext(this.model, 1);
    for (const name of this.model.inputs) this.deviceShapes.set(name, chw(ctx.values.get(name)!.shape));
    for (const op of this.model.ops) {
      const input = this.deviceShapes.get(op.inputs[0])!;
      const natural = chw(ctx.output(op).shape);
      let outShape: Chw = natural;
      const p: Prepared = {};
      switch (op.kind) {
        case 'conv2d':
          p.conv = prepareConv2d(conv2dSpec(ctx, op));
          break;
        case 'linear': {
          let spec = conv2dSpec(ctx, op);
          if (input[1] !== 1 || input[2] !== 1) spec = linearOnDeviceLayout(spec, op, input);
          p.conv = prepareConv2d(spec);
          break;
        }
        case 'flatten':
          outShape = input;
          break;
        case 'requantize': {
          const spec = requantizeSpec(ctx, op);
          if (spec.requant.scale.length > 1 && input.join() !== chw(ctx.input(op, 0).shape).join()) {
            fail(op, 'per-channel requantization of a flattened value is not supported; requantize before the flatten');
          }
          p.table = keep(requantizeTable(spec));
          outShape = input;
          break;
        }
        case 'add':
          if (input.join() !== this.deviceShapes.get(op.inputs[1])!.join()) fail(op, 'inputs have different device layouts');
          outShape = input;
          break;
        case 'avg_pool2d':
          p.table = keep(avgPoolTable(avgPoolSpec(ctx, op)));
          break;
        case 'dequantize': {
          const spec = dequantizeSpec(ctx, op);
          if (spec.scale.length > 1 && input.join() !== chw(ctx.input(op, 0).shape).join()) {
            fail(op, 'per-channel dequantization of a flattened value is not supported');
          }
          p.table = keep(dequantizeTable({ ...spec, shape: [1, ...input] }));
          outShape = input;
          break;
        }
        case 'concat':
          for (const name of op.inputs) {
            const v = ctx.values.get(name)!;
            if (this.deviceShapes.get(name)!.join() !== chw(v.shape).join()) fail(op, `input "${name}" is a flattened value; concatenate before the flatten`);
          }
          break;
        case 'quantize':
        case 'max_pool2d':
          break;
      }
      this.prepared.set(op, p);
      this.deviceShapes.set(op.output, outShape);
    }
  }

  /** The NCHW shape (batch n) that a value's device tensor holds. */
  deviceShape(name: string, n: number): [number, number, number, number] {
    const s = this.deviceShapes.get(name);
    if (!s) throw new Error(`integer executor: no value "${name}"`);
    return [n, s[0], s[1], s[2]];
  }

  /**
   * Runs the model on float inputs (NCHW float32 tensors, any batch). Returns the outputs (and with
   * keep: 'all', every value) as device tensors the caller disposes; read them with `read`.
   */
  run(inputs: Record<string, Tensor>, options: RunOptions = {}): Map<string, Tensor> {
    if (this.disposed) throw new Error('integer executor: already disposed');
    const model = this.model;
    let batch = -1;
    for (const name of model.inputs) {
      const t = inputs[name];
      if (!t) throw new Error(`integer executor: no tensor for input "${name}"`);
      const [c, h, w] = this.deviceShapes.get(name)!;
      const n = t.numel / (c * h * w);
      if (!Number.isInteger(n) || n < 1 || t.dtype !== 'float32') {
        throw new Error(`integer executor: input "${name}" [${t.shape.join(', ')}] ${t.dtype} is not float32 [N, ${c}, ${h}, ${w}]`);
      }
      if (batch >= 0 && n !== batch) throw new Error(`integer executor: inputs disagree on the batch size (${batch} and ${n})`);
      batch = n;
    }
    const ctx = new SpecContext(model, batch);
    const keepAll = options.keep === 'all';
    const lastUse = new Map<string, number>();
    model.ops.forEach((op, i) => op.inputs.forEach((name) => lastUse.set(name, i)));
    const live = new Map<string, Tensor>();
    const results = new Map<string, Tensor>();
    const get = (name: string): Tensor => {
      const t = live.get(name) ?? (model.inputs.includes(name) ? inputs[name] : undefined);
      if (!t) throw new Error(`integer executor: value "${name}" was not computed`);
      return t;
    };
    try {
      model.ops.forEach((op, i) => {
        const x = get(op.inputs[0]);
        const p = this.prepared.get(op)!;
        let y: Tensor;
        switch (op.kind) {
          case 'quantize':
            y = quantizeGpu(quantizeSpec(ctx, op), x);
            break;
          case 'dequantize': {
            const [n, c, h, w] = this.deviceShape(op.inputs[0], batch);
            const float = dequantizeGpu({ ...dequantizeSpec(ctx, op), shape: [n, c, h, w] }, x, p.table!);
            const out = ctx.output(op).shape;
            y = out.length === 1 ? viewAndDispose(float, [n, out[0]]) : float;
            break;
          }
          case 'conv2d':
            y = conv2dIntGpu(p.conv!, x, op.inputs.length > 1 ? get(op.inputs[1]) : undefined);
            break;
          case 'linear': {
            const k = p.conv!.spec.xShape[1];
            const flat = x.view([batch, 1, 1, paddedChannels(k)]);
            try {
              y = conv2dIntGpu(p.conv!, flat, op.inputs.length > 1 ? get(op.inputs[1]) : undefined);
            } finally {
              flat.dispose();
            }
            break;
          }
          case 'add':
            y = intAddGpu(addSpec(ctx, op), x, get(op.inputs[1]));
            break;
          case 'max_pool2d':
            y = maxPool2dIntGpu(maxPoolSpec(ctx, op), x);
            break;
          case 'avg_pool2d':
            y = avgPool2dIntGpu(avgPoolSpec(ctx, op), x, p.table!);
            break;
          case 'requantize': {
            const [n, c, h, w] = this.deviceShape(op.inputs[0], batch);
            y = requantizeGpu({ ...requantizeSpec(ctx, op), shape: [n, c, h, w] }, x, p.table!);
            break;
          }
          case 'flatten':
            y = x.view(x.shape);
            break;
          case 'concat':
            y = concatGpu(concatSpec(ctx, op), op.inputs.map(get));
            break;
        }
        live.set(op.output, y);
        if (!keepAll) {
          for (const name of op.inputs) {
            if (lastUse.get(name) === i && !model.outputs.includes(name) && live.has(name)) {
              live.get(name)!.dispose();
              live.delete(name);
            }
          }
        }
      });
      for (const [name, t] of live) {
        // The caller owns the results (a Map is not something tidy() looks into).
        if (keepAll || model.outputs.includes(name)) results.set(name, keep(t));
        else t.dispose();
      }
      live.clear();
      return results;
    } finally {
      for (const t of live.values()) t.dispose();
    }
  }

  /** A value's tensor read back in PyTorch's layout (NCHW or [N, C]), integers in the storage domain. */
  async read(name: string, t: Tensor): Promise<HostValue> {
    const info = this.model.values.find((v) => v.name === name);
    if (!info) throw new Error(`integer executor: no value "${name}"`);
    if (info.dtype === 'float32') return Float32Array.from(await t.read());
    const n = t.shape[0];
    return deviceToNchw(Int32Array.from(await t.read()), this.deviceShape(name, n));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.prepared.values()) {
      p.conv?.dispose();
      p.table?.dispose();
    }
    this.prepared.clear();
  }
}

function viewAndDispose(t: Tensor, shape: number[]): Tensor {
  const v = t.view(shape);
  t.dispose();
  return v;
}
