/**
 * convert(qat_model): the prepared (calibrated or QAT-trained) GraphModule → the IntegerModel a chip would
 * run, as Horizon's `convert` turns a QAT model into a quantized one.
 *
 * It walks the graph in order and reads every fake quantizer's scale/zero point:
 * - QuantStub → quantize; DeQuantStub (or an integer graph output) → dequantize.
 * - Conv2d / Linear and their fusions → one conv2d/linear op: the weights quantized with the weight fake
 *   quantizer's per-channel scales (the integers the QAT model used), the bias to int32 at s_x·s_w[c],
 *   requantization to the output fake quantizer's qparams, or the int32 accumulator when the op has no
 *   output fake quantizer (high-precision output). A fused BN is folded with its running statistics
 *   exactly as the QAT model's frozen-BN forward does (w·γ/√(σ²+ε), float32); a fused add becomes the
 *   op's second input rescaled to the output scale; a fused ReLU/ReLU6 is the output clamp.
 * - FloatFunctional add → integer add with both inputs rescaled (a 1-channel input broadcast over the
 *   channels is expanded first by an exact 1×1 conv); cat (channels) → inputs requantized to the output's
 *   qparams, then concat; mul_scalar by a positive constant → requantize.
 * - MaxPool2d → integer max pooling (same qparams); AvgPool2d / AdaptiveAvgPool2d (evenly divisible) →
 *   integer average pooling requantized to its output qparams; a standalone BatchNorm2d → a depthwise
 *   1×1 conv; ReLU/ReLU6 → the producer's clamp when it has no other user, else a requantize by 1
 *   with the clamp; flatten/view to [N, -1] → flatten; Dropout/Identity → nothing.
 *
 * Both requantization modes' constants are stored; `mode` picks the one the executors use ('multiplier'
 * as a chip, 'float' as qnnpack/ONNX Runtime). Errors name the node, its module and what is unsupported.
 */
import { Node, isContainer, type Argument } from '../graph/node';
import type { GraphModule } from '../graph/graph_module';
import type { Tensor } from '../engine/tensor';
import type { Module } from '../nn/module';
import * as nn from '../nn/index';
import { FusedConv2d, FusedLinear } from '../nn/fused';
import { ReLU6 } from '../nn/activation';
import { FakeQuantizeBase } from '../quant/fake_quantize';
import { LearnableFakeQuantize } from '../quant/fake_quantize_learnable';
import { isQatModule, type QatModule } from '../quant/qat_modules';
import { QRANGE, isPerChannel, type QDType } from '../quant/types';
import { IntegerModelBuilder, quantizeWeights, type FusedActivation, type QParams } from './builder';
import type { Conv2dOp, IntValueInfo, IntegerModel, IntegerOp, LinearOp } from './model';
import { accumulatorBound } from './accumulator';
import { roundHalfEven, type RequantMode } from './requant';
import { storageQParams, type Pair } from './types';

export interface ConvertOptions {
  /**
   * Per-sample input shapes ([C, H, W] or [C]), by placeholder name or in placeholder order. Or give
   * `example_inputs` (tensors with a batch dimension). Default: [1, 28, 28] for each input.
   */
  input_shapes?: Record<string, readonly number[]> | readonly (readonly number[])[];
  example_inputs?: Tensor | readonly Tensor[];
  /** Requantization the executors use: 'multiplier' (integer multiplier and shift, default) or 'float'. */
  mode?: RequantMode;
}

/** What one graph node became. */
export interface ConvertedNode {
  node: string;
  /** Module path (call_module) or the function/method name. */
  target: string;
  /** The node's output as an IntegerModel value, or null (shape values, a producer fused into a ReLU). */
  value: string | null;
  /** Ops this node produced (names), in order. */
  ops: string[];
}

export interface ConvertResult {
  model: IntegerModel;
  nodes: ConvertedNode[];
  /** Things worth telling the user (uncalibrated scales, inserted ops). */
  notes: string[];
}

export class ConvertError extends Error {
  constructor(
    readonly node: string,
    readonly target: string,
    message: string,
  ) {
    super(`convert: ${node}${target && target !== node ? ` (${target})` : ''}: ${message}`);
    this.name = 'ConvertError';
  }
}

/** A fake quantizer's qparams as numbers. */
export interface FakeQuantParams {
  dtype: QDType;
  scale: number[];
  zeroPoint: number[];
  quant_min: number;
  quant_max: number;
  perChannel: boolean;
  chAxis: number;
}

/**
 * scale/zero_point as the fake quantizer applies them: a learnable one clamps its scale to eps and rounds
 * its (float) zero point, as PyTorch's _LearnableFakeQuantize forward does.
 */
export async function readFakeQuantParams(fq: FakeQuantizeBase): Promise<FakeQuantParams> {
  const scaleTensor = (fq as unknown as { scale: Tensor }).scale;
  const zpTensor = (fq as unknown as { zero_point: Tensor }).zero_point;
  let scale = Array.from(await scaleTensor.read(), (v) => Math.fround(v));
  let zeroPoint = Array.from(await zpTensor.read());
  if (fq instanceof LearnableFakeQuantize) {
    scale = scale.map((s) => Math.max(s, Math.fround(fq.eps)));
    zeroPoint = zeroPoint.map((z) => Math.min(Math.max(roundHalfEven(z), fq.quant_min), fq.quant_max));
  }
  return {
    dtype: fq.dtype,
    scale,
    zeroPoint,
    quant_min: fq.quant_min,
    quant_max: fq.quant_max,
    perChannel: isPerChannel(fq.qscheme),
    chAxis: fq.ch_axis,
  };
}

/** Output qparams, with the fake quantizer's quant range when it is narrower than its dtype's. */
type OutQParams = QParams & { range?: Pair };

type Value =
  | { kind: 'float'; name: string }
  | { kind: 'int'; name: string }
  /** x.size(), getitem of it, plain numbers: not tensors. */
  | { kind: 'shape' };

interface WeightData {
  weight: Float32Array;
  bias: Float32Array | null;
  /** [O, C/g, KH, KW] or [O, K] */
  shape: number[];
  conv?: nn.Conv2d;
}

const f32 = Math.fround;

/** Conv weight and bias, with a fused BN folded in as the QAT model's frozen-BN forward computes it. */
async function convWeights(module: FusedConv2d | nn.Conv2d): Promise<WeightData> {
  const conv = module instanceof FusedConv2d ? module.conv : module;
  const weight = Float32Array.from(await conv.weight.read());
  const bias = conv.bias ? Float32Array.from(await conv.bias.read()) : null;
  const shape = [...conv.weight.shape];
  const bn = module instanceof FusedConv2d ? module.bn : undefined;
  if (!bn) return { weight, bias, shape, conv };
  const [mean, variance, gamma, beta] = await Promise.all([
    bn.running_mean.read(),
    bn.running_var.read(),
    bn.weight ? bn.weight.read() : Promise.resolve(null),
    bn.bias ? bn.bias.read() : Promise.resolve(null),
  ]);
  const channels = shape[0];
  const per = weight.length / channels;
  const eps = f32(bn.eps);
  const folded = new Float32Array(weight.length);
  const foldedBias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    // runningStd = sqrt(var + eps); scaleFactor = γ / runningStd; w' = w · scaleFactor (all float32).
    const std = f32(Math.sqrt(f32(variance[c] + eps)));
    const factor = f32((gamma ? gamma[c] : 1) / std);
    for (let i = 0; i < per; i++) folded[c * per + i] = f32(weight[c * per + i] * factor);
    // conv(x, w')/factor + b, then BN: ((conv + b) − μ)·γ/σ + β = conv(x, w') + (b − μ)·factor + β.
    foldedBias[c] = f32(f32(f32((bias ? bias[c] : 0) - mean[c]) * factor) + (beta ? beta[c] : 0));
  }
  return { weight: folded, bias: foldedBias, shape, conv };
}

async function linearWeights(module: FusedLinear | nn.Linear): Promise<WeightData> {
  const linear = module instanceof FusedLinear ? module.linear : module;
  return {
    weight: Float32Array.from(await linear.weight.read()),
    bias: linear.bias ? Float32Array.from(await linear.bias.read()) : null,
    shape: [...linear.weight.shape],
  };
}

function fusedActivation(module: Module): FusedActivation {
  const relu = (module as { relu?: Module }).relu;
  if (!relu) return null;
  return relu instanceof ReLU6 ? 'relu6' : 'relu';
}

function hasFusedAdd(module: Module): boolean {
  return (module instanceof FusedConv2d || module instanceof FusedLinear) && module.hasAdd;
}

function sameQParams(info: IntValueInfo, q: QParams): boolean {
  const s = storageQParams(q.dtype, q.zero_point);
  return info.dtype === s.dtype && info.zeroPoint === s.zeroPoint && info.scale?.length === 1 && info.scale[0] === q.scale;
}

function perSampleShapes(gm: GraphModule, options: ConvertOptions): Map<string, number[]> {
  const placeholders = gm.graph.placeholders;
  const out = new Map<string, number[]>();
  const examples = options.example_inputs === undefined ? null : Array.isArray(options.example_inputs) ? options.example_inputs : [options.example_inputs];
  placeholders.forEach((p, i) => {
    let shape: readonly number[] | undefined;
    const given = options.input_shapes;
    if (Array.isArray(given)) shape = given[i] as readonly number[] | undefined;
    else if (given) shape = (given as Record<string, readonly number[]>)[p.name];
    if (!shape && examples) {
      const t = examples[i] as Tensor | undefined;
      if (t) shape = t.shape.slice(1);
    }
    shape ??= [1, 28, 28];
    if (shape.length !== 3 && shape.length !== 1) {
      throw new ConvertError(p.name, 'placeholder', `input shape [${shape.join(', ')}] per sample must be [C, H, W] or [C]`);
    }
    out.set(p.name, [...shape]);
  });
  return out;
}

/** What a standalone ReLU should do to its producer's clamp, applied after the model is built. */
interface ClampRequest {
  value: string;
  activation: 'relu' | 'relu6';
  scale: number;
}

/**
 * Converts a prepared (calibrated or QAT) model. Reads parameters and fake-quant buffers back from the
 * device, so it is async. The model is not changed.
 */
export async function convert(qat_model: GraphModule, options: ConvertOptions = {}): Promise<ConvertResult> {
  const converter = new Converter(qat_model, options);
  return converter.run();
}

class Converter {
  private readonly b: IntegerModelBuilder;
  private readonly env = new Map<Node, Value>();
  private readonly nodes: ConvertedNode[] = [];
  private readonly notes: string[] = [];
  private readonly used = new Set<string>();
  private readonly clampRequests: ClampRequest[] = [];
  /** Narrower quant_min/quant_max than the dtype's range, applied to the producing op's clamp. */
  private readonly rangeRequests = new Map<string, Pair>();
  private currentOps: string[] = [];
  private readonly calledModules = new Set<string>();

  constructor(
    private readonly gm: GraphModule,
    private readonly options: ConvertOptions,
  ) {
    this.b = new IntegerModelBuilder(options.mode ?? 'multiplier');
  }

  async run(): Promise<ConvertResult> {
    const shapes = perSampleShapes(this.gm, this.options);
    for (const node of this.gm.graph.nodes) {
      this.currentOps = [];
      let value: Value | null;
      try {
        value = await this.visit(node, shapes);
      } catch (e) {
        if (e instanceof ConvertError) throw e;
        throw new ConvertError(node.name, node.target, e instanceof Error ? e.message : String(e));
      }
      if (value) this.env.set(node, value);
      if (node.op !== 'output') {
        this.nodes.push({
          node: node.name,
          target: node.target,
          value: value && value.kind !== 'shape' ? value.name : null,
          ops: this.currentOps,
        });
      }
    }
    const model = this.b.build();
    this.applyClamps(model);
    return { model, nodes: this.nodes, notes: this.notes };
  }

  private fail(node: Node, message: string): never {
    throw new ConvertError(node.name, node.op === 'call_module' ? node.target : `${node.op} ${node.target}`, message);
  }

  /** A fresh value/op name: the module path for the first call of a module, else the node name. */
  private nameFor(node: Node, suffix = ''): string {
    let base = node.op === 'call_module' && !this.calledModules.has(node.target) ? node.target : node.name;
    if (suffix) base = `${base}.${suffix}`;
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    this.currentOps.push(name);
    return name;
  }

  private value(node: Node, arg: Argument, what = 'input'): Value {
    if (arg instanceof Node) {
      const v = this.env.get(arg);
      if (!v) this.fail(node, `${what} ${arg.name} has no converted value`);
      return v;
    }
    if (typeof arg === 'number') return { kind: 'shape' };
    this.fail(node, `${what} is ${arg === null ? 'null' : typeof arg}, not a tensor from the graph`);
  }

  private intInput(node: Node, arg: Argument, what = 'input'): string {
    const v = this.value(node, arg, what);
    if (v.kind === 'int') return v.name;
    if (v.kind === 'float') {
      this.fail(node, `its ${what} ${(arg as Node).name} is float here; the integer model needs a QuantStub before it (or a qconfig with an input fake quantizer)`);
    }
    this.fail(node, `its ${what} is not a tensor`);
  }

  private info(name: string): IntValueInfo {
    return this.b.valueInfo(name);
  }

  private qparamsOf(name: string): QParams {
    const v = this.info(name);
    if (!v.scale || v.scale.length !== 1 || !v.qdtype || v.qdtype === 'qint32') {
      throw new Error(`"${name}" is not a per-tensor int8/int16 value`);
    }
    const offset = v.qdtype === 'quint8' ? -128 : 0;
    return { scale: v.scale[0], zero_point: (v.zeroPoint ?? 0) - offset, dtype: v.qdtype };
  }

  /** The output fake quantizer of a QAT module as builder qparams (per tensor only). */
  private async outputQParams(node: Node, fq: FakeQuantizeBase, what = 'output'): Promise<OutQParams> {
    const p = await readFakeQuantParams(fq);
    if (p.perChannel && p.scale.length > 1) this.fail(node, `its ${what} fake quantizer is per channel; activations must be quantized per tensor`);
    if (p.dtype === 'qint32') this.fail(node, `its ${what} fake quantizer is qint32; use a high-precision output (no output fake quantizer) instead`);
    if (p.scale[0] === 1 && p.zeroPoint[0] === 0 && fq.fake_quant_state === null) {
      this.notes.push(`${node.name}: the ${what} scale is 1 (was the model calibrated?)`);
    }
    return { scale: p.scale[0], zero_point: p.zeroPoint[0], dtype: p.dtype, ...this.range(p) };
  }

  private range(p: FakeQuantParams): { range?: Pair } {
    const [qmin, qmax] = QRANGE[p.dtype];
    return p.quant_min !== qmin || p.quant_max !== qmax ? { range: [p.quant_min, p.quant_max] } : {};
  }

  /** Records a narrower quant range for a value (clamps are tightened after building). */
  private noteRange(value: string, q: OutQParams): void {
    if (!q.range) return;
    const offset = q.dtype === 'quint8' ? -128 : 0;
    this.rangeRequests.set(value, [q.range[0] + offset, q.range[1] + offset]);
  }

  private async visit(node: Node, shapes: Map<string, number[]>): Promise<Value | null> {
    switch (node.op) {
      case 'placeholder':
        return { kind: 'float', name: this.b.input(this.nameFor(node), shapes.get(node.name)!) };
      case 'output':
        this.outputs(node);
        return null;
      case 'call_module': {
        const module = this.gm.get_submodule(node.target);
        const v = await this.callModule(node, module);
        this.calledModules.add(node.target);
        return v;
      }
      case 'call_function':
        return this.callFunction(node);
      case 'call_method':
        return this.callMethod(node);
    }
  }

  private outputs(node: Node): void {
    const names: string[] = [];
    const collect = (a: Argument): void => {
      if (a instanceof Node) {
        const v = this.env.get(a);
        if (!v || v.kind === 'shape') this.fail(node, `graph output ${a.name} is not a tensor`);
        let name = v.name;
        if (v.kind === 'int') {
          // The integer model hands back floats: dequantize what the QAT model would have returned.
          name = this.b.dequantize(this.nameFor(a, 'dequant'), v.name);
          this.notes.push(`${a.name}: a graph output without a DeQuantStub; dequantized as "${name}"`);
        }
        names.push(name);
      } else if (Array.isArray(a)) a.forEach(collect);
      else if (isContainer(a)) Object.values(a).forEach((x) => collect(x as Argument));
      else this.fail(node, `graph output ${String(a)} is not a tensor`);
    };
    collect(node.args[0]);
    this.b.output(...names);
  }

  /** The input fake quantizer of a QAT module, applied to each tensor input (quantize or requantize). */
  private async applyInputFakeQuant(node: Node, module: Module, args: readonly Argument[]): Promise<Value[]> {
    const values = args.map((a, i) => (a instanceof Node ? this.value(node, a, `input ${i}`) : ({ kind: 'shape' } as Value)));
    const fq = isQatModule(module) ? module.input_fake_quant : null;
    if (!fq) return values;
    if (!(fq instanceof FakeQuantizeBase)) this.fail(node, 'input_fake_quant is not a fake quantizer');
    const q = await this.outputQParams(node, fq, 'input');
    return values.map((v, i) => {
      if (v.kind === 'shape') return v;
      if (v.kind === 'float') {
        const name = this.b.quantize(this.nameFor(node, `input_quant${i}`), v.name, q);
        this.noteRange(name, q);
        return { kind: 'int', name };
      }
      if (sameQParams(this.info(v.name), q)) return v;
      const name = this.b.requantize(this.nameFor(node, `input_requant${i}`), v.name, q);
      this.noteRange(name, q);
      return { kind: 'int', name };
    });
  }

  private async callModule(node: Node, module: Module): Promise<Value> {
    const qat = isQatModule(module) ? module : null;
    if (module instanceof nn.QuantStub) return this.quantStub(node, module, qat);
    if (module instanceof nn.DeQuantStub) {
      const v = this.value(node, node.args[0]);
      if (v.kind !== 'int') return v;
      return { kind: 'float', name: this.b.dequantize(this.nameFor(node), v.name) };
    }
    if (module instanceof FusedConv2d || module instanceof FusedLinear || module instanceof nn.Conv2d || module instanceof nn.Linear) {
      return this.weighted(node, module, qat);
    }
    if (module instanceof nn.FloatFunctional) return this.floatFunctional(node, module, qat);
    if (module instanceof nn.ReLU || module instanceof nn.ReLU6) {
      return this.relu(node, node.args[0], module instanceof nn.ReLU6 ? 'relu6' : 'relu');
    }
    if (module instanceof nn.Identity || module instanceof nn.Dropout) return this.value(node, node.args[0]);
    if (module instanceof nn.Flatten) {
      if (module.start_dim !== 1 || module.end_dim !== -1) this.fail(node, `Flatten(${module.start_dim}, ${module.end_dim}): only flattening from dim 1 to the end is supported`);
      return this.flatten(node, node.args[0]);
    }
    if (module instanceof nn.MaxPool2d) {
      const x = this.intInput(node, node.args[0]);
      return { kind: 'int', name: this.b.max_pool2d(this.nameFor(node), x, { kernel_size: module.kernel_size, stride: module.stride, padding: module.padding }) };
    }
    if (module instanceof nn.AvgPool2d || module instanceof nn.AdaptiveAvgPool2d) return this.avgPool(node, module, qat);
    if (module instanceof nn.BatchNorm2d) return this.batchNorm(node, module, qat);
    if (module instanceof nn.LayerNorm || module instanceof nn.Softmax) {
      this.fail(node, `${module._typeName} has no integer op in this executor yet; keep it outside the quantized part (after the DeQuantStub) or remove it`);
    }
    this.fail(node, `${module._typeName} has no integer version`);
  }

  private async quantStub(node: Node, module: nn.QuantStub, qat: QatModule | null): Promise<Value> {
    const v = this.value(node, node.args[0]);
    const fq = qat?.activation_post_process;
    if (!(fq instanceof FakeQuantizeBase)) {
      if (v.kind === 'int') return v;
      this.fail(node, 'this QuantStub has no qconfig (no output fake quantizer), so the model after it would stay float');
    }
    const q = await this.outputQParams(node, fq);
    let name: string;
    if (v.kind === 'float') name = this.b.quantize(this.nameFor(node), v.name, q);
    else if (v.kind === 'int') name = this.b.requantize(this.nameFor(node), v.name, q);
    else this.fail(node, 'its input is not a tensor');
    if (q.range) {
      // The quantize op clamps to the dtype's range; a narrower quant range clamps once more (by 1, exact).
      this.noteRange(name, q);
      if (v.kind === 'float') {
        const clamped = this.b.requantize(this.nameFor(node, 'clamp'), name, q);
        this.noteRange(clamped, q);
        return { kind: 'int', name: clamped };
      }
    }
    if (module.args.scale != null && q.scale !== module.args.scale) this.notes.push(`${node.name}: QuantStub(scale=${module.args.scale}) but its fake quantizer holds ${q.scale}`);
    return { kind: 'int', name };
  }

  private async weighted(node: Node, module: FusedConv2d | FusedLinear | nn.Conv2d | nn.Linear, qat: QatModule | null): Promise<Value> {
    if (!qat) this.fail(node, `${module._typeName} is not quantized (no qconfig): the integer model has no float ops. Give it a qconfig (a setter or module.qconfig)`);
    const wfq = qat.weight_fake_quant;
    if (!(wfq instanceof FakeQuantizeBase)) this.fail(node, `${module._typeName} has no weight fake quantizer (its qconfig has no weight)`);
    const add = hasFusedAdd(module);
    const [xv, rv] = await this.applyInputFakeQuant(node, module, add ? [node.args[0], node.args[1]] : [node.args[0]]);
    const x = this.valueAsInt(node, xv, node.args[0]);
    const residual = add ? this.valueAsInt(node, rv, node.args[1], 'second (added) input') : undefined;
    const isConv = module instanceof FusedConv2d || module instanceof nn.Conv2d;
    const data = isConv ? await convWeights(module as FusedConv2d | nn.Conv2d) : await linearWeights(module as FusedLinear | nn.Linear);
    const wq = await readFakeQuantParams(wfq);
    const outChannels = data.shape[0];
    if (wq.perChannel && wq.chAxis !== 0) this.fail(node, `the weight fake quantizer's ch_axis is ${wq.chAxis}; per-channel weights must use ch_axis 0 (output channels)`);
    if (wq.scale.length !== 1 && wq.scale.length !== outChannels) {
      this.fail(node, `the weight fake quantizer has ${wq.scale.length} scales for ${outChannels} output channels (was it calibrated?)`);
    }
    if (wq.dtype !== 'qint8' && wq.dtype !== 'qint16') this.fail(node, `weights in ${wq.dtype} are not supported (qint8 or qint16)`);
    if (wq.perChannel && wq.scale.length === 1 && outChannels > 1) {
      this.notes.push(`${node.name}: the per-channel weight fake quantizer has one scale (${wq.scale[0]}): it has not seen the weights (was the model calibrated or trained?)`);
    }
    const weightZp = wq.zeroPoint.length === 1 && outChannels > 1 ? new Array<number>(outChannels).fill(wq.zeroPoint[0]) : wq.zeroPoint;
    const weightScale = wq.scale.length === 1 && outChannels > 1 ? new Array<number>(outChannels).fill(wq.scale[0]) : wq.scale;
    const weight = quantizeWeightsInRange(data.weight, outChannels, weightScale, weightZp, wq);
    const ofq = qat.activation_post_process;
    let output: OutQParams | 'int32';
    if (ofq instanceof FakeQuantizeBase) output = await this.outputQParams(node, ofq);
    else {
      if (add || fusedActivation(module)) {
        this.fail(node, `${module._typeName} has no output fake quantizer (int32 output), which cannot fuse an add or a ReLU; give it an output qconfig`);
      }
      this.checkInt32Users(node);
      output = 'int32';
    }
    const common = {
      weight,
      weight_dtype: wq.dtype as 'qint8' | 'qint16',
      weight_scale: weightScale,
      weight_zero_point: weightZp,
      bias: data.bias,
      output,
      activation: fusedActivation(module),
      ...(residual ? { residual } : {}),
    };
    let name: string;
    if (isConv) {
      const conv = data.conv!;
      if (this.info(x).shape.length !== 3) this.fail(node, `input [${this.info(x).shape.join(', ')}] is not [C, H, W]`);
      name = this.b.conv2d(this.nameFor(node), x, {
        ...common,
        weight_shape: data.shape as [number, number, number, number],
        stride: conv.stride,
        padding: conv.padding,
        dilation: conv.dilation,
        groups: conv.groups,
      });
    } else {
      const xi = this.info(x);
      const k = xi.shape.reduce((a, b) => a * b, 1);
      if (xi.shape.length !== 1) this.fail(node, `Linear input [${xi.shape.join(', ')}] must be flattened first (torch.flatten(x, 1))`);
      if (k !== data.shape[1]) this.fail(node, `Linear expects ${data.shape[1]} input features, the input has ${k}`);
      name = this.b.linear(this.nameFor(node), x, { ...common, weight_shape: data.shape as [number, number] });
    }
    if (output !== 'int32') this.noteRange(name, output);
    const op = this.b.opWriting(name) as Conv2dOp | LinearOp;
    const bound = accumulatorBound(op, this.info(x));
    if (bound.overflows) {
      this.notes.push(
        `${node.name}: ${this.info(x).dtype} × ${op.weightDtype} with fan-in ${bound.fanIn}: the worst case |Σ x·w| = ${bound.worst.toExponential(2)} ` +
          `(output channel ${bound.channel}) can overflow the int32 accumulator, which wraps; int8 weights (weight_dtype: qint8) give 256 times the headroom`,
      );
    }
    return { kind: 'int', name };
  }

  private valueAsInt(node: Node, v: Value | undefined, arg: Argument, what = 'input'): string {
    if (v?.kind === 'int') return v.name;
    if (v?.kind === 'float') {
      this.fail(node, `its ${what} ${(arg as Node).name} is float here; the integer model needs a QuantStub before it (or a qconfig with an input fake quantizer)`);
    }
    this.fail(node, `its ${what} is not a tensor`);
  }

  /** An int32 output may only reach DeQuantStubs and the graph output (through flatten/identity). */
  private checkInt32Users(node: Node): void {
    const stack = [...node.users];
    const seen = new Set<Node>();
    while (stack.length) {
      const u = stack.pop()!;
      if (seen.has(u)) continue;
      seen.add(u);
      if (u.op === 'output') continue;
      if (u.op === 'call_module') {
        const m = this.gm.get_submodule(u.target);
        if (m instanceof nn.DeQuantStub) continue;
        if (m instanceof nn.Identity || m instanceof nn.Dropout || m instanceof nn.Flatten) {
          stack.push(...u.users);
          continue;
        }
      }
      if ((u.op === 'call_function' && u.target === 'torch.flatten') || (u.op === 'call_method' && ['flatten', 'view', 'reshape'].includes(u.target))) {
        stack.push(...u.users);
        continue;
      }
      this.fail(
        node,
        `its output is int32 (high precision: no output fake quantizer) but feeds ${u.name}; only the model's output may be int32. ` +
          'Give this op an output qconfig, or set high_precision_output: false',
      );
    }
  }

  private async floatFunctional(node: Node, module: nn.FloatFunctional, qat: QatModule | null): Promise<Value> {
    const method = node.method;
    const ofq = qat?.activation_post_process;
    if (!(ofq instanceof FakeQuantizeBase)) this.fail(node, `FloatFunctional.${method} is not quantized (no qconfig)`);
    const out = await this.outputQParams(node, ofq);
    if (method === 'add') {
      const [av, bv] = await this.applyInputFakeQuant(node, module, [node.args[0], node.args[1]]);
      let a = this.valueAsInt(node, av, node.args[0], 'first input');
      let b = this.valueAsInt(node, bv, node.args[1], 'second input');
      const sa = this.info(a).shape;
      const sb = this.info(b).shape;
      if (sa.join() !== sb.join()) {
        if (sa.length === 3 && sb.length === 3 && sa[1] === sb[1] && sa[2] === sb[2] && (sa[0] === 1 || sb[0] === 1)) {
          if (sb[0] === 1) b = this.expandChannels(node, b, sa[0]);
          else a = this.expandChannels(node, a, sb[0]);
        } else {
          this.fail(node, `add of [${sa.join(', ')}] and [${sb.join(', ')}]: only equal shapes, or a 1-channel input broadcast over the channels, are supported`);
        }
      }
      const name = this.b.add(this.nameFor(node), a, b, out);
      this.noteRange(name, out);
      return { kind: 'int', name };
    }
    if (method === 'mul_scalar') {
      const [xv] = await this.applyInputFakeQuant(node, module, [node.args[0]]);
      const x = this.valueAsInt(node, xv, node.args[0]);
      const c = node.args[1];
      if (typeof c !== 'number' || !(c > 0)) this.fail(node, `mul_scalar by ${String(c)}: only a positive constant is supported`);
      const xs = this.qparamsOf(x).scale;
      // y = x·c is a rescale of x by c: requantize with M = s_x·c/s_y (scale the input's qparams by c).
      const scaled = this.b.requantize(this.nameFor(node), x, out, null, (xs * c) / out.scale);
      this.noteRange(scaled, out);
      return { kind: 'int', name: scaled };
    }
    if (method === 'cat') {
      const list = node.args[0];
      const dim = node.args[1] ?? 0;
      if (!Array.isArray(list) || list.length < 2) this.fail(node, 'cat needs a list of at least two tensors');
      const values = await this.applyInputFakeQuant(node, module, list as Argument[]);
      const names = values.map((v, i) => this.valueAsInt(node, v, (list as Argument[])[i], `input ${i}`));
      const rank = this.info(names[0]).shape.length + 1;
      if (dim !== 1 && dim !== 1 - rank) this.fail(node, `cat along dim ${String(dim)}: only the channel dim (1) is supported`);
      // Each input is rescaled to the output's qparams (one rounding, as fake quantizing the cat), then copied.
      const rescaled = names.map((n, i) => (sameQParams(this.info(n), out) ? n : this.b.requantize(this.nameFor(node, `input_requant${i}`), n, out)));
      const name = this.b.concat(this.nameFor(node), rescaled);
      return { kind: 'int', name };
    }
    this.fail(node, `FloatFunctional.${method} has no integer op in this executor (supported: add, cat, mul_scalar)`);
  }

  /** A [1, H, W] value repeated over C channels by an exact 1×1 conv (weight 1, M = 1). */
  private expandChannels(node: Node, value: string, channels: number): string {
    const q = this.qparamsOf(value);
    const name = this.nameFor(node, `expand_${value}`);
    this.notes.push(`${node.name}: "${value}" is broadcast over ${channels} channels by a 1×1 conv with weight 1 ("${name}")`);
    return this.b.conv2d(name, value, {
      weight: new Int8Array(channels).fill(1),
      weight_shape: [channels, 1, 1, 1],
      weight_scale: new Array<number>(channels).fill(1),
      bias: null,
      output: q,
    });
  }

  private relu(node: Node, arg: Argument, activation: 'relu' | 'relu6'): Value {
    const v = this.value(node, arg);
    if (v.kind !== 'int') this.fail(node, `${activation} of a ${v.kind} value: the integer model runs ReLU on quantized values only`);
    const info = this.info(v.name);
    if (info.dtype === 'int32') this.fail(node, `${activation} of an int32 (high-precision) output is not supported; give the producer an output qconfig`);
    const q = this.qparamsOf(v.name);
    const producer = arg as Node;
    const onlyUser = producer.users.length === 1 && !this.isGraphOutput(producer);
    const producerOp = this.b.opWriting(v.name);
    if (onlyUser && producerOp && ['conv2d', 'linear', 'add', 'requantize', 'avg_pool2d'].includes(producerOp.kind)) {
      // The QAT model fake-quantizes the producer's output, then ReLU clamps it at the zero point: the same
      // integers as clamping inside the producer.
      this.clampRequests.push({ value: v.name, activation, scale: q.scale });
      const prev = this.nodes.find((n) => n.value === v.name);
      if (prev) prev.value = null;
      return v;
    }
    return { kind: 'int', name: this.b.requantize(this.nameFor(node), v.name, q, activation) };
  }

  private isGraphOutput(node: Node): boolean {
    return node.users.some((u) => u.op === 'output');
  }

  private flatten(node: Node, arg: Argument): Value {
    const v = this.value(node, arg);
    if (v.kind === 'shape') this.fail(node, 'flatten of a non-tensor');
    if (v.kind === 'float') this.fail(node, 'flatten of a float value in the integer model (put it after the QuantStub)');
    if (this.info(v.name).shape.length === 1) return v;
    return { kind: 'int', name: this.b.flatten(this.nameFor(node), v.name) };
  }

  private async avgPool(node: Node, module: nn.AvgPool2d | nn.AdaptiveAvgPool2d, qat: QatModule | null): Promise<Value> {
    const x = this.intInput(node, node.args[0]);
    const ofq = qat?.activation_post_process;
    const out = ofq instanceof FakeQuantizeBase ? await this.outputQParams(node, ofq) : undefined;
    let kernel: Pair;
    let stride: Pair;
    let padding: Pair = [0, 0];
    if (module instanceof nn.AdaptiveAvgPool2d) {
      const [, h, w] = this.info(x).shape;
      const [oh, ow] = module.output_size;
      if (h % oh !== 0 || w % ow !== 0) this.fail(node, `AdaptiveAvgPool2d(${oh}, ${ow}) on ${h}×${w}: only evenly divisible sizes are supported`);
      kernel = [h / oh, w / ow];
      stride = kernel;
    } else {
      kernel = module.kernel_size;
      stride = module.stride;
      padding = module.padding;
    }
    const name = this.b.avg_pool2d(this.nameFor(node), x, { kernel_size: kernel, stride, padding, ...(out ? { output: out } : {}) });
    if (out) this.noteRange(name, out);
    return { kind: 'int', name };
  }

  /** A standalone BatchNorm2d as a depthwise 1×1 conv: weight γ/σ (exact in int8: ±127 at scale |w|/127), bias β − μ·γ/σ. */
  private async batchNorm(node: Node, module: nn.BatchNorm2d, qat: QatModule | null): Promise<Value> {
    const x = this.intInput(node, node.args[0]);
    const ofq = qat?.activation_post_process;
    if (!(ofq instanceof FakeQuantizeBase)) this.fail(node, 'BatchNorm2d is not quantized (no qconfig)');
    const out = await this.outputQParams(node, ofq);
    const [mean, variance, gamma, beta] = await Promise.all([
      module.running_mean.read(),
      module.running_var.read(),
      module.weight ? module.weight.read() : Promise.resolve(null),
      module.bias ? module.bias.read() : Promise.resolve(null),
    ]);
    const c = module.num_features;
    const w = new Float32Array(c);
    const bias = new Float32Array(c);
    const scales: number[] = [];
    for (let i = 0; i < c; i++) {
      const factor = f32((gamma ? gamma[i] : 1) / f32(Math.sqrt(f32(variance[i] + f32(module.eps)))));
      w[i] = factor;
      bias[i] = f32((beta ? beta[i] : 0) - f32(mean[i] * factor));
      scales.push(Math.abs(factor) > 0 ? f32(Math.abs(factor) / 127) : 1);
    }
    const weight = quantizeWeights(w, c, scales, [0]);
    const name = this.b.conv2d(this.nameFor(node), x, {
      weight,
      weight_shape: [c, 1, 1, 1],
      weight_scale: scales,
      bias,
      output: out,
      groups: c,
    });
    this.noteRange(name, out);
    return { kind: 'int', name };
  }

  private callFunction(node: Node): Value {
    const t = node.target;
    if (t === 'torch.flatten') {
      const start = node.args[1] ?? 1;
      const end = node.args[2] ?? -1;
      if (start !== 1 || end !== -1) this.fail(node, `torch.flatten(x, ${String(start)}, ${String(end)}): only flattening from dim 1 to the end is supported`);
      return this.flatten(node, node.args[0]);
    }
    if (t === 'torch.relu' || t === 'F.relu') return this.relu(node, node.args[0], 'relu');
    if (t === 'F.relu6') return this.relu(node, node.args[0], 'relu6');
    if (t === 'F.dropout') return this.value(node, node.args[0]);
    if (t === 'F.max_pool2d') {
      const x = this.intInput(node, node.args[0]);
      const kernel = node.args[1] as number | [number, number];
      const opts = (node.args[2] ?? {}) as { stride?: number | [number, number] | null; padding?: number | [number, number] };
      return { kind: 'int', name: this.b.max_pool2d(this.nameFor(node), x, { kernel_size: kernel, stride: opts.stride ?? null, padding: opts.padding }) };
    }
    if (t === 'torch.reshape') return this.reshape(node, node.args[0], node.args[1]);
    if (t === 'getitem') return { kind: 'shape' };
    this.fail(node, `${t} has no integer op`);
  }

  private callMethod(node: Node): Value {
    const t = node.target;
    if (t === 'size') return { kind: 'shape' };
    if (t === 'relu') return this.relu(node, node.args[0], 'relu');
    if (t === 'contiguous') return this.value(node, node.args[0]);
    if (t === 'flatten') {
      const start = node.args[1] ?? 0;
      if (start !== 1 || (node.args[2] ?? -1) !== -1) this.fail(node, `x.flatten(${String(start)}): only x.flatten(1) is supported (the batch stays)`);
      return this.flatten(node, node.args[0]);
    }
    if (t === 'view' || t === 'reshape') {
      const dims = node.args.length === 2 && Array.isArray(node.args[1]) ? node.args[1] : node.args.slice(1);
      return this.reshape(node, node.args[0], dims as Argument);
    }
    this.fail(node, `Tensor.${t} has no integer op`);
  }

  /** view/reshape to [N, -1] (or [N, C·H·W]) is a flatten; anything else is not supported. */
  private reshape(node: Node, arg: Argument, dims: Argument): Value {
    const v = this.value(node, arg);
    if (v.kind !== 'int') return this.flatten(node, arg);
    const list = Array.isArray(dims) ? (dims as Argument[]) : [dims];
    const numel = this.info(v.name).shape.reduce((a, b) => a * b, 1);
    const rest = list.slice(1);
    const flat = list.length === 2 && (rest[0] === -1 || rest[0] === numel);
    if (!flat) this.fail(node, `${node.target} to [${list.map((d) => (d instanceof Node ? d.name : String(d))).join(', ')}]: only reshaping to [N, -1] (a flatten) is supported`);
    return this.flatten(node, arg);
  }

  private applyClamps(model: IntegerModel): void {
    const writer = new Map<string, IntegerOp>(model.ops.map((op) => [op.output, op]));
    const values = new Map(model.values.map((v) => [v.name, v]));
    const tighten = (value: string, lo: number, hi: number) => {
      const op = writer.get(value) as (IntegerOp & { clamp?: Pair }) | undefined;
      if (!op || !op.clamp) throw new Error(`convert: no op with a clamp writes "${value}"`);
      op.clamp = [Math.max(op.clamp[0], lo), Math.min(op.clamp[1], hi)];
    };
    for (const [value, [lo, hi]] of this.rangeRequests) tighten(value, lo, hi);
    for (const r of this.clampRequests) {
      const v = values.get(r.value)!;
      const zp = v.zeroPoint ?? 0;
      const hi = r.activation === 'relu6' ? zp + roundHalfEven(f32(6 * f32(1 / f32(r.scale)))) : Infinity;
      tighten(r.value, zp, hi);
    }
  }
}

/** quantizeWeights with a weight fake quantizer's own quant range (e.g. a narrow [-127, 127]). */
function quantizeWeightsInRange(weight: Float32Array, outChannels: number, scale: number[], zeroPoint: number[], q: FakeQuantParams): Int8Array | Int16Array {
  const dtype = q.dtype as 'qint8' | 'qint16';
  const out = quantizeWeights(weight, outChannels, scale, zeroPoint, dtype);
  const [qmin, qmax] = QRANGE[dtype];
  if (q.quant_min !== qmin || q.quant_max !== qmax) {
    for (let i = 0; i < out.length; i++) out[i] = Math.min(Math.max(out[i], q.quant_min), q.quant_max);
  }
  return out;
}
