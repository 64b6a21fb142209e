/**
 * Test helpers for conversion that need no engine ops: a plain-TypeScript run of a prepared model with
 * fake-quant semantics (the QAT forward in VALIDATION state, frozen BN), a calibration built on it (sets
 * every fake quantizer's scale from min/max, symmetric as the default templates), and random BN
 * statistics. Values are double-precision NCHW arrays; the QAT model's float32 rounding is not modelled,
 * so results agree with the integer model to about one LSB, not bit for bit.
 */
import { Node, type Argument } from '../graph/node';
import type { GraphModule } from '../graph/graph_module';
import type { Tensor } from '../engine/tensor';
import type { Module } from '../nn/module';
import * as nn from '../nn/index';
import { FusedConv2d, FusedLinear } from '../nn/fused';
import { ReLU6 } from '../nn/activation';
import { FakeQuantizeBase } from '../quant/fake_quantize';
import { isQatModule } from '../quant/qat_modules';
import { isSymmetric } from '../quant/types';
import { FixedScaleObserver } from '../quant/observer_fixed';
import { readFakeQuantParams } from './convert';
import { roundHalfEven } from './requant';
import { poolOutputSize } from './ops';

export interface Act {
  data: Float64Array;
  /** [N, C, H, W] or [N, C] */
  shape: number[];
}

type Observe = (fq: FakeQuantizeBase, x: Act) => void;

async function read(t: Tensor | null | undefined): Promise<Float64Array | null> {
  return t ? Float64Array.from(await t.read()) : null;
}

async function fakeQuant(fq: FakeQuantizeBase | null, x: Act, observe: Observe | null): Promise<Act> {
  if (!fq) return x;
  if (observe) {
    observe(fq, x);
    return x;
  }
  const p = await readFakeQuantParams(fq);
  const out = new Float64Array(x.data.length);
  const channels = x.shape[1];
  const inner = x.data.length / (x.shape[0] * channels);
  for (let i = 0; i < out.length; i++) {
    const c = p.scale.length === 1 ? 0 : Math.floor(i / inner) % channels;
    const s = p.scale[c];
    const z = p.zeroPoint[c];
    const inv = Math.fround(1 / s);
    const q = Math.min(Math.max(roundHalfEven(Math.fround(x.data[i] * inv)) + z, p.quant_min), p.quant_max);
    out[i] = (q - z) * s;
  }
  return { data: out, shape: x.shape };
}

/** Weight fake quant along axis 0 (per output channel). */
async function fakeQuantWeight(fq: FakeQuantizeBase, w: Float64Array, outChannels: number): Promise<Float64Array> {
  const r = await fakeQuant(fq, { data: w, shape: [1, outChannels, w.length / outChannels] }, null);
  return r.data;
}

function conv2d(x: Act, w: Float64Array, wShape: number[], bias: Float64Array | null, conv: nn.Conv2d): Act {
  const [n, c, h, wd] = x.shape;
  const [o, cg, kh, kw] = wShape;
  const [sh, sw] = conv.stride;
  const [ph, pw] = conv.padding;
  const [dh, dw] = conv.dilation;
  const g = conv.groups;
  const ho = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const wo = Math.floor((wd + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  const out = new Float64Array(n * o * ho * wo);
  const opg = o / g;
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < o; oc++) {
      const grp = Math.floor(oc / opg);
      for (let y = 0; y < ho; y++)
        for (let xx = 0; xx < wo; xx++) {
          let acc = bias ? bias[oc] : 0;
          for (let ic = 0; ic < cg; ic++) {
            const cin = grp * cg + ic;
            for (let ky = 0; ky < kh; ky++) {
              const iy = y * sh - ph + ky * dh;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = xx * sw - pw + kx * dw;
                if (ix < 0 || ix >= wd) continue;
                acc += x.data[((b * c + cin) * h + iy) * wd + ix] * w[((oc * cg + ic) * kh + ky) * kw + kx];
              }
            }
          }
          out[((b * o + oc) * ho + y) * wo + xx] = acc;
        }
    }
  return { data: out, shape: [n, o, ho, wo] };
}

function linear(x: Act, w: Float64Array, o: number, bias: Float64Array | null): Act {
  const n = x.shape[0];
  const k = x.data.length / n;
  const out = new Float64Array(n * o);
  for (let b = 0; b < n; b++)
    for (let j = 0; j < o; j++) {
      let acc = bias ? bias[j] : 0;
      for (let i = 0; i < k; i++) acc += x.data[b * k + i] * w[j * k + i];
      out[b * o + j] = acc;
    }
  return { data: out, shape: [n, o] };
}

function map(x: Act, fn: (v: number, c: number) => number): Act {
  const channels = x.shape[1];
  const inner = x.data.length / (x.shape[0] * channels);
  return { data: x.data.map((v, i) => fn(v, Math.floor(i / inner) % channels)), shape: x.shape };
}

function pool(x: Act, kernel: readonly number[], stride: readonly number[], padding: readonly number[], kind: 'max' | 'avg'): Act {
  const [n, c, h, w] = x.shape;
  const ho = poolOutputSize(h, kernel[0], stride[0], padding[0], 1, false);
  const wo = poolOutputSize(w, kernel[1], stride[1], padding[1], 1, false);
  const out = new Float64Array(n * c * ho * wo);
  for (let p = 0; p < n * c; p++)
    for (let y = 0; y < ho; y++)
      for (let xx = 0; xx < wo; xx++) {
        let m = -Infinity;
        let sum = 0;
        for (let ky = 0; ky < kernel[0]; ky++)
          for (let kx = 0; kx < kernel[1]; kx++) {
            const iy = y * stride[0] - padding[0] + ky;
            const ix = xx * stride[1] - padding[1] + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const v = x.data[(p * h + iy) * w + ix];
            m = Math.max(m, v);
            sum += v;
          }
        out[(p * ho + y) * wo + xx] = kind === 'max' ? m : sum / (kernel[0] * kernel[1]);
      }
  return { data: out, shape: [n, c, ho, wo] };
}

function relu(x: Act, six: boolean): Act {
  return map(x, (v) => (six ? Math.min(Math.max(v, 0), 6) : Math.max(v, 0)));
}

async function weighted(module: Module, x: Act, residual: Act | null, observe: Observe | null): Promise<Act> {
  const qat = isQatModule(module) ? module : null;
  const wfq = qat?.weight_fake_quant instanceof FakeQuantizeBase ? qat.weight_fake_quant : null;
  let out: Act;
  if (module instanceof FusedConv2d || module instanceof nn.Conv2d) {
    const conv = module instanceof FusedConv2d ? module.conv : module;
    const bn = module instanceof FusedConv2d ? module.bn : undefined;
    let w = (await read(conv.weight))!;
    const bias = await read(conv.bias);
    const o = conv.out_channels;
    let factor: Float64Array | null = null;
    if (bn) {
      const variance = (await read(bn.running_var))!;
      const gamma = await read(bn.weight);
      factor = Float64Array.from({ length: o }, (_, c) => (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + bn.eps));
      const per = w.length / o;
      w = w.map((v, i) => v * factor![Math.floor(i / per)]);
    }
    if (wfq && !observe) w = await fakeQuantWeight(wfq, w, o);
    if (wfq && observe) observe(wfq, { data: w, shape: [1, o, w.length / o] });
    out = conv2d(x, w, [...conv.weight.shape], bn ? null : bias, conv);
    if (bn) {
      const mean = (await read(bn.running_mean))!;
      const variance = (await read(bn.running_var))!;
      const gamma = await read(bn.weight);
      const beta = await read(bn.bias);
      out = map(out, (v, c) => {
        const unscaled = v / factor![c] + (bias ? bias[c] : 0);
        return ((unscaled - mean[c]) / Math.sqrt(variance[c] + bn.eps)) * (gamma ? gamma[c] : 1) + (beta ? beta[c] : 0);
      });
    }
  } else {
    const lin = module instanceof FusedLinear ? module.linear : (module as nn.Linear);
    let w = (await read(lin.weight))!;
    if (wfq && !observe) w = await fakeQuantWeight(wfq, w, lin.out_features);
    if (wfq && observe) observe(wfq, { data: w, shape: [1, lin.out_features, w.length / lin.out_features] });
    out = linear(x, w, lin.out_features, await read(lin.bias));
  }
  if (residual) out = { data: out.data.map((v, i) => v + residual.data[i]), shape: out.shape };
  const r = (module as { relu?: Module }).relu;
  if (r) out = relu(out, r instanceof ReLU6);
  return fakeQuant(qat?.activation_post_process instanceof FakeQuantizeBase ? qat.activation_post_process : null, out, observe);
}

/**
 * Runs the prepared model on a batch [N, ...] with fake quantization (observe = null), or records every
 * fake quantizer's input (observe given: calibration, no quantization). Returns every node's output.
 */
export async function runQatReference(gm: GraphModule, inputs: Act[], observe: Observe | null = null): Promise<Map<string, Act>> {
  const env = new Map<Node, Act>();
  const results = new Map<string, Act>();
  const get = (a: Argument): Act => {
    if (!(a instanceof Node) || !env.has(a)) throw new Error(`reference: argument ${String(a)} is not computed`);
    return env.get(a)!;
  };
  let placeholder = 0;
  for (const node of gm.graph.nodes) {
    let out: Act | null = null;
    if (node.op === 'placeholder') out = inputs[placeholder++];
    else if (node.op === 'output') break;
    else if (node.op === 'call_module') {
      const m = gm.get_submodule(node.target);
      const qat = isQatModule(m) ? m : null;
      const ofq = qat?.activation_post_process instanceof FakeQuantizeBase ? qat.activation_post_process : null;
      if (m instanceof nn.QuantStub) out = await fakeQuant(ofq, get(node.args[0]), observe);
      else if (m instanceof nn.DeQuantStub || m instanceof nn.Identity || m instanceof nn.Dropout) out = get(node.args[0]);
      else if (m instanceof FusedConv2d || m instanceof FusedLinear || m instanceof nn.Conv2d || m instanceof nn.Linear) {
        const hasAdd = (m instanceof FusedConv2d || m instanceof FusedLinear) && m.hasAdd;
        out = await weighted(m, get(node.args[0]), hasAdd ? get(node.args[1]) : null, observe);
      } else if (m instanceof nn.FloatFunctional && node.method === 'add') {
        const a = get(node.args[0]);
        const b = get(node.args[1]);
        const bc = b.data.length < a.data.length;
        const [big, small] = bc ? [a, b] : [b, a];
        const inner = small.data.length / small.shape[0];
        const per = big.data.length / big.shape[0];
        const sum = big.data.map((v, i) => v + small.data[Math.floor(i / per) * inner + ((i % per) % inner)]);
        out = await fakeQuant(ofq, { data: sum, shape: big.shape }, observe);
      } else if (m instanceof nn.FloatFunctional && node.method === 'cat') {
        const parts = (node.args[0] as Argument[]).map(get);
        const [n, , ...rest] = parts[0].shape;
        const inner = rest.reduce((a, b) => a * b, 1);
        const channels = parts.reduce((a, p) => a + p.shape[1], 0);
        const data = new Float64Array(n * channels * inner);
        let offset = 0;
        for (const p of parts) {
          const c = p.shape[1];
          for (let b = 0; b < n; b++) data.set(p.data.subarray(b * c * inner, (b + 1) * c * inner), (b * channels + offset) * inner);
          offset += c;
        }
        out = await fakeQuant(ofq, { data, shape: [n, channels, ...rest] }, observe);
      } else if (m instanceof nn.ReLU || m instanceof nn.ReLU6) out = relu(get(node.args[0]), m instanceof nn.ReLU6);
      else if (m instanceof nn.MaxPool2d) out = pool(get(node.args[0]), m.kernel_size, m.stride, m.padding, 'max');
      else if (m instanceof nn.AvgPool2d) out = await fakeQuant(ofq, pool(get(node.args[0]), m.kernel_size, m.stride, m.padding, 'avg'), observe);
      else if (m instanceof nn.Flatten) {
        const x = get(node.args[0]);
        out = { data: x.data, shape: [x.shape[0], x.data.length / x.shape[0]] };
      } else throw new Error(`reference: ${m._typeName} is not modelled`);
    } else if (node.op === 'call_function' && node.target === 'torch.flatten') {
      const x = get(node.args[0]);
      out = { data: x.data, shape: [x.shape[0], x.data.length / x.shape[0]] };
    } else throw new Error(`reference: ${node.op} ${node.target} is not modelled`);
    env.set(node, out);
    results.set(node.name, out);
  }
  return results;
}

/**
 * Calibration in plain TypeScript: min/max of each fake quantizer's input over the given batches, then
 * its scale and zero point by its qscheme (symmetric s = max|x| / ((qmax − qmin)/2); affine
 * s = (max − min)/(qmax − qmin), z = qmin − round(min/s)), per channel for weights, written into the model.
 */
export async function calibrateReference(gm: GraphModule, batches: Act[][]): Promise<void> {
  const stats = new Map<FakeQuantizeBase, { min: Float64Array; max: Float64Array }>();
  const observe: Observe = (fq, x) => {
    const p = fq.is_per_channel;
    const channels = p ? x.shape[1] : 1;
    const inner = x.data.length / (x.shape[0] * x.shape[1]);
    let s = stats.get(fq);
    if (!s) stats.set(fq, (s = { min: new Float64Array(channels), max: new Float64Array(channels) }));
    for (let i = 0; i < x.data.length; i++) {
      const c = p ? Math.floor(i / inner) % channels : 0;
      s.min[c] = Math.min(s.min[c], x.data[i]);
      s.max[c] = Math.max(s.max[c], x.data[i]);
    }
  };
  for (const batch of batches) await runQatReference(gm, batch, observe);
  const state: Record<string, number[]> = {};
  for (const [path, m] of gm.named_modules()) {
    if (!(m instanceof FakeQuantizeBase)) continue;
    const s = stats.get(m);
    if (!s) continue;
    const [qmin, qmax] = [m.quant_min, m.quant_max];
    const obs = m.activation_post_process;
    const fixed = obs instanceof FixedScaleObserver ? (await obs.scale.read())[0] : null;
    const eps = 1.1920928955078125e-7;
    const scale: number[] = [];
    const zero: number[] = [];
    for (let c = 0; c < s.min.length; c++) {
      if (fixed !== null) {
        scale.push(Math.fround(fixed));
        zero.push(0);
      } else if (isSymmetric(m.qscheme)) {
        scale.push(Math.fround(Math.max(Math.max(-s.min[c], s.max[c]) / ((qmax - qmin) / 2), eps)));
        zero.push(m.dtype === 'quint8' ? 128 : 0);
      } else {
        // Affine: the range includes 0; z = qmin − round(min/s), as PyTorch's _calculate_qparams.
        const sc = Math.fround(Math.max((s.max[c] - s.min[c]) / (qmax - qmin), eps));
        scale.push(sc);
        zero.push(Math.min(qmax, Math.max(qmin, qmin - Math.round(s.min[c] / sc))));
      }
    }
    state[`${path}.scale`] = scale;
    state[`${path}.zero_point`] = zero;
  }
  gm.load_state_dict(state, false);
}

/** Random BN running statistics (so folding is exercised), seeded. */
export function randomizeBatchNorm(gm: GraphModule, rand: () => number): void {
  const state: Record<string, number[]> = {};
  for (const [path, m] of gm.named_modules()) {
    if (!(m instanceof nn.BatchNorm2d)) continue;
    const c = m.num_features;
    state[`${path}.running_mean`] = Array.from({ length: c }, () => (rand() - 0.5) * 0.4);
    state[`${path}.running_var`] = Array.from({ length: c }, () => 0.5 + rand());
    if (m.weight) state[`${path}.weight`] = Array.from({ length: c }, () => 0.6 + rand() * 0.8);
    if (m.bias) state[`${path}.bias`] = Array.from({ length: c }, () => (rand() - 0.5) * 0.4);
  }
  gm.load_state_dict(state, false);
}
