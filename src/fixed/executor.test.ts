import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bufferPool } from '../engine/pool';
import { Tensor, liveTensorCount } from '../engine/tensor';
import { getTestDevice } from '../testing/gpu';
import { IntegerModelBuilder, quantizeWeights } from './builder';
import { runIntegerModelCpu, type HostValue } from './executor_cpu';
import { IntegerExecutor } from './gpu/executor';
import { detectIntegerDot, forceIntegerDot } from './gpu/shaders';
import type { IntegerModel } from './model';
import { REQUANT_MODES, type RequantMode } from './requant';
import { validateIntegerModel } from './specs';
import { seeded } from './testing';

beforeAll(async () => {
  await getTestDevice();
  await detectIntegerDot();
});

afterEach(() => forceIntegerDot(null));

function floats(rand: () => number, n: number, amp: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * amp);
}

function randomWeights(rand: () => number, shape: readonly number[], scale: number[]): Int8Array | Int16Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const fan = n / shape[0];
  return quantizeWeights(floats(rand, n, 1 / Math.sqrt(fan)), shape[0], scale, [0]);
}

/** The reference CNN's shape, smaller: quant → conv-relu → pool → conv-relu → pool → flatten → linear(int32) → dequant. */
function referenceCnn(mode: RequantMode, seed = 1): IntegerModel {
  const rand = seeded(seed);
  const b = new IntegerModelBuilder(mode);
  b.input('x', [1, 12, 12]);
  b.quantize('quant', 'x', { scale: 0.02, zero_point: 128, dtype: 'quint8' });
  const s1 = Array.from({ length: 8 }, (_, i) => 0.004 + 0.0005 * i);
  b.conv2d('conv1', 'quant', {
    weight: randomWeights(rand, [8, 1, 3, 3], s1),
    weight_shape: [8, 1, 3, 3],
    weight_scale: s1,
    bias: floats(rand, 8, 0.1),
    padding: 1,
    output: { scale: 0.01, zero_point: 0, dtype: 'quint8' },
    activation: 'relu',
  });
  b.max_pool2d('pool1', 'conv1', { kernel_size: 2 });
  const s2 = Array.from({ length: 12 }, (_, i) => 0.003 + 0.0002 * i);
  b.conv2d('conv2', 'pool1', {
    weight: randomWeights(rand, [12, 8, 3, 3], s2),
    weight_shape: [12, 8, 3, 3],
    weight_scale: s2,
    bias: floats(rand, 12, 0.1),
    padding: 1,
    output: { scale: 0.008, zero_point: -128, dtype: 'qint8' },
    activation: 'relu',
  });
  b.max_pool2d('pool2', 'conv2', { kernel_size: 2 });
  b.flatten('flatten', 'pool2');
  const s3 = Array.from({ length: 10 }, () => 0.002);
  b.linear('fc', 'flatten', {
    weight: randomWeights(rand, [10, 108], s3),
    weight_shape: [10, 108],
    weight_scale: s3,
    bias: floats(rand, 10, 0.2),
    output: 'int32',
  });
  b.dequantize('logits', 'fc');
  b.output('logits');
  return b.build();
}

/** Everything else: fused add with ReLU6, int add, avg pool, depthwise, int16, requantize, linear on [C]. */
function mixedModel(mode: RequantMode, seed = 2): IntegerModel {
  const rand = seeded(seed);
  const b = new IntegerModelBuilder(mode);
  b.input('x', [3, 9, 8]);
  b.quantize('q', 'x', { scale: 0.03, zero_point: -5, dtype: 'qint8' });
  const sa = [0.01, 0.012, 0.009, 0.011, 0.01, 0.013];
  b.conv2d('stem', 'q', {
    weight: randomWeights(rand, [6, 3, 3, 3], sa),
    weight_shape: [6, 3, 3, 3],
    weight_scale: sa,
    bias: floats(rand, 6, 0.2),
    padding: 1,
    output: { scale: 0.04, zero_point: 3, dtype: 'qint8' },
  });
  b.conv2d('block', 'stem', {
    weight: randomWeights(rand, [6, 6, 3, 3], [0.008]),
    weight_shape: [6, 6, 3, 3],
    weight_scale: 0.008,
    weight_zero_point: 0,
    bias: floats(rand, 6, 0.1),
    padding: 1,
    output: { scale: 0.05, zero_point: 0, dtype: 'qint8' },
    activation: 'relu6',
    residual: 'stem',
  });
  b.conv2d('dw', 'block', {
    weight: randomWeights(rand, [6, 1, 3, 3], [0.02]),
    weight_shape: [6, 1, 3, 3],
    weight_scale: 0.02,
    bias: floats(rand, 6, 0.1),
    padding: 1,
    stride: 2,
    groups: 6,
    output: { scale: 0.03, zero_point: 0, dtype: 'qint8' },
  });
  b.avg_pool2d('avg', 'block', { kernel_size: 3, stride: 2, padding: 1, count_include_pad: false });
  b.add('sum', 'dw', 'avg', { scale: 0.05, zero_point: 10, dtype: 'quint8' }, 'relu');
  b.requantize('to16', 'sum', { scale: 0.0004, zero_point: 0, dtype: 'qint16' });
  const s16 = [0.0001, 0.00012, 0.00009, 0.0001];
  b.conv2d('conv16', 'to16', {
    weight: randomWeights(rand, [4, 6, 2, 2], s16),
    weight_shape: [4, 6, 2, 2],
    weight_scale: s16,
    bias: floats(rand, 4, 0.05),
    output: { scale: 0.0005, zero_point: 0, dtype: 'qint16' },
  });
  b.avg_pool2d('gap', 'conv16', { kernel_size: [4, 3], output: { scale: 0.0004, zero_point: 0, dtype: 'qint16' } });
  b.flatten('vec', 'gap');
  b.requantize('to8', 'vec', { scale: 0.01, zero_point: 0, dtype: 'qint8' });
  b.linear('head', 'to8', {
    weight: randomWeights(rand, [5, 4], [0.05]),
    weight_shape: [5, 4],
    weight_scale: 0.05,
    bias: floats(rand, 5, 0.1),
    output: { scale: 0.02, zero_point: 0, dtype: 'qint8' },
  });
  b.dequantize('out', 'head');
  b.output('out', 'sum');
  return b.build();
}

async function compareAll(model: IntegerModel, input: Float32Array, shape: number[]): Promise<Map<string, HostValue>> {
  const cpu = runIntegerModelCpu(model, { [model.inputs[0]]: input });
  const ex = await IntegerExecutor.create(model);
  const x = Tensor.fromArray(input, shape);
  const outs = ex.run({ [model.inputs[0]]: x }, { keep: 'all' });
  for (const op of model.ops) {
    const t = outs.get(op.output);
    expect(t, op.output).toBeDefined();
    const got = await ex.read(op.output, t!);
    const want = cpu.get(op.output)!;
    let diffs = 0;
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) diffs++;
    expect(got.length, op.output).toBe(want.length);
    expect(diffs, `${op.kind} "${op.name}": ${diffs} of ${want.length} differ`).toBe(0);
  }
  for (const t of outs.values()) t.dispose();
  x.dispose();
  ex.dispose();
  return cpu;
}

describe('IntegerExecutor (WebGPU) gives the CPU executor’s results exactly', () => {
  for (const mode of REQUANT_MODES) {
    for (const dot of ['packed', 'unpacked'] as const) {
      it(`reference CNN shape, ${mode}, ${dot} dot`, async () => {
        forceIntegerDot(dot);
        const model = referenceCnn(mode);
        const input = floats(seeded(9), 3 * 144, 2.5);
        const cpu = await compareAll(model, input, [3, 1, 12, 12]);
        const logits = cpu.get('logits')!;
        expect(logits).toBeInstanceOf(Float32Array);
        expect(new Set(logits).size).toBeGreaterThan(10);
      });
    }
    it(`mixed ops (fused add, relu6, depthwise, avg pool, int add, int16, requantize), ${mode}`, async () => {
      const model = mixedModel(mode);
      await compareAll(model, floats(seeded(10), 2 * 3 * 9 * 8, 3), [2, 3, 9, 8]);
    });
  }

  it('returns only the outputs by default and leaks nothing across runs', async () => {
    const model = referenceCnn('multiplier');
    const ex = await IntegerExecutor.create(model);
    const x = Tensor.fromArray(floats(seeded(3), 144, 1), [1, 1, 12, 12]);
    const outs = ex.run({ x });
    expect([...outs.keys()]).toEqual(['logits']);
    expect(outs.get('logits')!.shape).toEqual([1, 10]);
    for (const t of outs.values()) t.dispose();
    const live = liveTensorCount();
    const buffers = bufferPool.stats().liveBuffers;
    for (let i = 0; i < 3; i++) for (const t of ex.run({ x }, { keep: i === 1 ? 'all' : 'outputs' }).values()) t.dispose();
    expect(liveTensorCount()).toBe(live);
    expect(bufferPool.stats().liveBuffers).toBe(buffers);
    x.dispose();
    ex.dispose();
  });
});

describe('integer model semantics', () => {
  it('a conv layer’s output dequantizes to the float conv of its dequantized operands within about half an LSB', () => {
    const model = referenceCnn('multiplier', 4);
    const input = floats(seeded(5), 144, 2);
    const values = runIntegerModelCpu(model, { x: input });
    const q = values.get('quant')!;
    const y = values.get('conv1')!;
    const conv = model.ops.find((o) => o.name === 'conv1')!;
    if (conv.kind !== 'conv2d') throw new Error('conv1 is not a conv');
    const qx = model.values.find((v) => v.name === 'quant')!;
    const qy = model.values.find((v) => v.name === 'conv1')!;
    let checked = 0;
    for (let oc = 0; oc < 8; oc++) {
      for (let oy = 0; oy < 12; oy++) {
        for (let ox = 0; ox < 12; ox++) {
          let acc = conv.bias![oc] * 0.02 * conv.weightScale[oc];
          for (let ky = 0; ky < 3; ky++) {
            for (let kx = 0; kx < 3; kx++) {
              const iy = oy + ky - 1;
              const ix = ox + kx - 1;
              if (iy < 0 || iy >= 12 || ix < 0 || ix >= 12) continue;
              acc += (q[iy * 12 + ix] - qx.zeroPoint!) * qx.scale![0] * conv.weight[oc * 9 + ky * 3 + kx] * conv.weightScale[oc];
            }
          }
          const real = Math.max(0, acc); // fused ReLU
          const got = (y[(oc * 12 + oy) * 12 + ox] - qy.zeroPoint!) * qy.scale![0];
          if (real < 255 * qy.scale![0]) {
            // round to nearest, plus the multiplier mode's double rounding (half a unit at 2^-6 here)
            expect(Math.abs(got - real)).toBeLessThanOrEqual(qy.scale![0] * (0.5 + 1 / 64) + 1e-9);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('the two modes agree within 1 LSB on the first conv', () => {
    const input = floats(seeded(6), 144, 2);
    const a = runIntegerModelCpu(referenceCnn('multiplier'), { x: input }).get('conv1')!;
    const b = runIntegerModelCpu(referenceCnn('float'), { x: input }).get('conv1')!;
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    expect(maxDiff).toBeLessThanOrEqual(1);
  });

  it('validation names the op and the problem', () => {
    const model = referenceCnn('float');
    const badShape = structuredClone(model);
    badShape.values.find((v) => v.name === 'conv2')!.shape = [12, 5, 5];
    expect(() => validateIntegerModel(badShape)).toThrow(/conv2d "conv2": computes \[12, 6, 6\] but "conv2" is declared \[12, 5, 5\]/);
    const badOrder = structuredClone(model);
    badOrder.ops.reverse();
    expect(() => validateIntegerModel(badOrder)).toThrow(/reads "fc" before any op computes it/);
    const noFlatten = new IntegerModelBuilder();
    noFlatten.input('x', [2, 3, 3]);
    noFlatten.quantize('q', 'x', { scale: 0.1, zero_point: 0, dtype: 'qint8' });
    expect(() => {
      noFlatten.linear('fc', 'q', { weight: new Int8Array(36), weight_shape: [2, 18], weight_scale: 0.1, output: 'int32' });
      noFlatten.build();
    }).toThrow(/linear "fc": input "q" \[2, 3, 3\] does not fit weight \[2, 18\] \(flatten it first\)/);
  });

  it('survives structured clone (worker messages, IndexedDB)', () => {
    const model = mixedModel('float');
    const copy = structuredClone(model);
    validateIntegerModel(copy);
    const input = floats(seeded(7), 3 * 9 * 8, 3);
    expect(runIntegerModelCpu(copy, { x: input }).get('out')).toEqual(runIntegerModelCpu(model, { x: input }).get('out'));
  });
});
