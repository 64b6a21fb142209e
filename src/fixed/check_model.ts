/**
 * check_model(model, march): does the fixed-point model fit a target chip? As the Horizon toolchain's
 * check_model, it lists every layer with its dtypes and shapes, and every violation of the target
 * profile (march.ts) with the layer's name and how to fix it; `text` is the report in the form of
 * model_check_result.txt.
 *
 * `model` is a prepared (calibrated or QAT) GraphModule — converted here, with ops that cannot be
 * converted reported rather than thrown — or an IntegerModel / ConvertResult already converted.
 */
import { GraphModule } from '../graph/graph_module';
import { formatTable } from '../graph/print';
import * as nn from '../nn/index';
import { moduleKind } from '../quant/op_kinds';
import { accumulatorBound } from './accumulator';
import { convert, ConvertError, type ConvertOptions, type ConvertResult } from './convert';
import { get_march, getMarch, type MarchName, type MarchProfile } from './march';
import type { Conv2dOp, IntValueInfo, IntegerModel, IntegerOp, LinearOp } from './model';
import { paddedChannels } from './layout';
import type { RequantParams } from './requant';

export type Severity = 'error' | 'warning' | 'info';

export interface CheckViolation {
  severity: Severity;
  /** The layer (op or graph node) name. */
  layer: string;
  /** The op kind or module type. */
  op: string;
  /** A short rule id: 'dtype', 'op', 'kernel', 'stride', 'alignment', 'overflow', ... */
  rule: string;
  message: string;
  fix: string;
}

export interface CheckLayer {
  name: string;
  op: string;
  inputs: string[];
  /** Input dtypes as PyTorch names (qint8, quint8, qint16, qint32, float32). */
  input_dtypes: string[];
  weight_dtype: string | null;
  output_dtype: string;
  output_shape: number[];
  kernel: string;
  stride: string;
  /** Multiply-accumulates per sample. */
  macs: number;
  weight_bytes: number;
}

export interface CheckReport {
  march: MarchName;
  /** No errors (warnings allowed). */
  passed: boolean;
  layers: CheckLayer[];
  violations: CheckViolation[];
  summary: { ops: number; macs: number; weight_bytes: number; errors: number; warnings: number };
  text: string;
}

export interface CheckOptions extends ConvertOptions {
  march?: MarchName;
}

function dtypeName(v: IntValueInfo): string {
  return v.dtype === 'float32' ? 'float32' : (v.qdtype ?? v.dtype);
}

/** Ops of the prepared graph that convert cannot turn into integer ops, each reported (convert stops at the first). */
function graphViolations(gm: GraphModule): CheckViolation[] {
  const out: CheckViolation[] = [];
  for (const node of gm.graph.nodes) {
    if (node.op !== 'call_module') continue;
    const m = gm.get_submodule(node.target);
    const kind = moduleKind(m, node.method);
    if (m instanceof nn.LayerNorm || m instanceof nn.Softmax) {
      out.push({
        severity: 'error',
        layer: node.target,
        op: m._typeName,
        rule: 'op',
        message: `${m._typeName} has no integer op in the fixed-point model`,
        fix: `move ${node.target} after the DeQuantStub (float), or replace it (BatchNorm2d instead of LayerNorm on images)`,
      });
    } else if (m instanceof nn.FloatFunctional && !['add', 'cat', 'mul_scalar'].includes(node.method)) {
      out.push({
        severity: 'error',
        layer: node.target,
        op: `FloatFunctional.${node.method}`,
        rule: 'op',
        message: `FloatFunctional.${node.method} has no integer op in the fixed-point model (supported: add, cat, mul_scalar)`,
        fix: 'use add, or express the op with supported layers',
      });
    } else if (kind.kind === 'unsupported') {
      out.push({ severity: 'error', layer: node.target, op: kind.type, rule: 'op', message: kind.reason ?? `${kind.type} is not supported`, fix: 'replace it with a supported layer' });
    }
  }
  for (const node of gm.graph.nodes) {
    if (node.op === 'call_function' && !['torch.flatten', 'torch.relu', 'F.relu', 'F.relu6', 'F.dropout', 'F.max_pool2d', 'torch.reshape', 'getitem'].includes(node.target)) {
      out.push({ severity: 'error', layer: node.name, op: node.target, rule: 'op', message: `${node.target} has no integer op`, fix: 'use the module form (nn.*) or a supported op' });
    }
  }
  return out;
}

function kernelText(op: IntegerOp): [string, string] {
  switch (op.kind) {
    case 'conv2d':
      return [`${op.weightShape[2]}x${op.weightShape[3]}`, `${op.stride[0]}x${op.stride[1]}`];
    case 'max_pool2d':
    case 'avg_pool2d':
      return [`${op.kernel[0]}x${op.kernel[1]}`, `${op.stride[0]}x${op.stride[1]}`];
    default:
      return ['', ''];
  }
}

function macsOf(op: IntegerOp, out: IntValueInfo): number {
  if (op.kind !== 'conv2d' && op.kind !== 'linear') return 0;
  const fanIn = op.weight.length / op.weightShape[0];
  return out.shape.reduce((a, b) => a * b, 1) * fanIn;
}

function multiplierZero(r: RequantParams): boolean {
  return r.multiplier.some((m) => m === 0) && r.scale.some((s) => s > 0);
}

function checkIntegerModel(model: IntegerModel, p: MarchProfile): { layers: CheckLayer[]; violations: CheckViolation[] } {
  const values = new Map(model.values.map((v) => [v.name, v]));
  const users = new Map<string, IntegerOp[]>();
  for (const op of model.ops) for (const i of op.inputs) users.set(i, [...(users.get(i) ?? []), op]);
  const layers: CheckLayer[] = [];
  const violations: CheckViolation[] = [];
  const add = (severity: Severity, op: IntegerOp, rule: string, message: string, fix: string) =>
    violations.push({ severity, layer: op.name, op: op.kind, rule, message, fix });

  for (const op of model.ops) {
    const out = values.get(op.output)!;
    const inputs = op.inputs.map((n) => values.get(n)!);
    const weighted = op.kind === 'conv2d' || op.kind === 'linear' ? (op as Conv2dOp | LinearOp) : null;
    const [kernel, stride] = kernelText(op);
    layers.push({
      name: op.name,
      op: op.kind,
      inputs: [...op.inputs],
      input_dtypes: inputs.map(dtypeName),
      weight_dtype: weighted ? (weighted.weightDtype === 'int8' ? 'qint8' : 'qint16') : null,
      output_dtype: dtypeName(out),
      output_shape: [...out.shape],
      kernel,
      stride,
      macs: macsOf(op, out),
      weight_bytes: weighted ? weighted.weight.byteLength + (weighted.bias?.byteLength ?? 0) : 0,
    });

    if (!p.ops.includes(op.kind)) add('error', op, 'op', `${op.kind} is not supported on ${p.name}`, 'replace the layer with a supported one');

    // Every integer value is some op's output: checking outputs reports each once.
    if ((out.dtype === 'int8' || out.dtype === 'int16') && !p.activationDtypes.includes(out.dtype)) {
      add(
        'error',
        op,
        'dtype',
        `${out.dtype === 'int16' ? 'int16 (qint16)' : out.dtype} activations are not supported on ${p.name}, which takes ${p.activationDtypes.join('/')}`,
        out.dtype === 'int16' ? `give ${op.name} an int8 output (get_qconfig({ out_dtype: qint8 })) or choose march 'bayes'` : 'use a supported dtype',
      );
    }

    if (out.dtype === 'int32') {
      const consumers = users.get(op.output) ?? [];
      const bad = consumers.filter((u) => u.kind !== 'dequantize' && u.kind !== 'flatten');
      if (!p.int32Output) add('error', op, 'dtype', `int32 outputs are not supported on ${p.name}`, 'give the layer an output qconfig (int8)');
      else if (bad.length) add('error', op, 'dtype', `the int32 output feeds ${bad.map((b) => b.name).join(', ')}; int32 may only leave the model`, `give ${op.name} an output qconfig, or requantize before ${bad[0].name}`);
    }

    if (weighted) {
      const x = inputs[0];
      if (!p.weightDtypes.includes(weighted.weightDtype)) {
        add('error', op, 'dtype', `${weighted.weightDtype} weights are not supported on ${p.name}`, `use int8 weights: get_qconfig({ weight_dtype: qint8 }) for ${op.name}`);
      }
      if (weighted.weightZeroPoint.some((z) => z !== 0)) {
        add(p.name === 'bernoulli2' ? 'error' : 'warning', op, 'weight_zero_point', 'weights are affine (nonzero zero point); the chip multiplies symmetric weights', 'use a symmetric weight observer (qscheme per_channel_symmetric)');
      }
      const o = weighted.weightShape[0];
      const fanIn = weighted.weight.length / o;
      if (fanIn > p.maxFanIn) add('error', op, 'fan_in', `fan-in ${fanIn} exceeds ${p.maxFanIn}`, 'split the layer or reduce its input size');
      if (o > p.conv.maxChannels) add('error', op, 'channels', `${o} output channels exceed ${p.conv.maxChannels}`, 'split the layer');
      const bound = accumulatorBound(weighted, x);
      if (bound.overflows) {
        add(
          'warning',
          op,
          'overflow',
          `${x.dtype} × ${weighted.weightDtype} with fan-in ${bound.fanIn}: the worst-case accumulator ${bound.worst.toExponential(2)} (channel ${bound.channel}) exceeds int32 (2.1e9); outputs can wrap`,
          weighted.weightDtype === 'int16' ? `use int8 weights for ${op.name} (weight_dtype: qint8), or int8 activations before it` : 'reduce the fan-in or use int8 activations',
        );
      }
      const lanes = (c: number) => paddedChannels(c);
      if (o % p.channelAlignment !== 0) {
        add('warning', op, 'alignment', `${o} output channels occupy ${lanes(o)} lanes: ${Math.round((100 * (lanes(o) - o)) / lanes(o))}% of its output lanes idle`, `use a multiple of ${p.channelAlignment} output channels`);
      }
      if (op.kind === 'conv2d') {
        const c = op as Conv2dOp;
        const inC = x.shape[0];
        const imageInput = model.ops.some((q) => q.kind === 'quantize' && q.output === x.name);
        if (inC % p.channelAlignment !== 0 && !imageInput) {
          add('warning', op, 'alignment', `${inC} input channels occupy ${lanes(inC)} lanes: ${Math.round((100 * (lanes(inC) - inC)) / lanes(inC))}% of the input lanes idle`, `use a multiple of ${p.channelAlignment} channels in the layer before`);
        }
        const [kh, kw] = [c.weightShape[2], c.weightShape[3]];
        if (kh > p.conv.maxKernel || kw > p.conv.maxKernel) add('error', op, 'kernel', `kernel ${kh}×${kw} exceeds ${p.conv.maxKernel}×${p.conv.maxKernel}`, 'use smaller kernels (stack 3×3 convs)');
        if (!c.stride.every((s) => p.conv.strides.includes(s))) add('error', op, 'stride', `stride ${c.stride.join('×')} is not one of ${p.conv.strides.join(', ')}`, 'use a supported stride, or pool afterwards');
        if (c.dilation.some((d) => d > (p.conv.maxDilation ?? 1))) add('error', op, 'dilation', `dilation ${c.dilation.join('×')} exceeds ${p.conv.maxDilation ?? 1}`, 'use dilation 1');
        if (c.padding.some((q) => q > (p.conv.maxPadding ?? Infinity))) add('error', op, 'padding', `padding ${c.padding.join('×')} exceeds ${p.conv.maxPadding}`, 'reduce the padding');
        if (op.name.includes('.expand_')) add('info', op, 'broadcast', 'a 1×1 conv inserted to broadcast a 1-channel input of an add over the channels', 'give both add inputs the same channel count to save it');
      }
      if (weighted.requant && multiplierZero(weighted.requant)) {
        add('warning', op, 'requant', 'a requantization multiplier underflows to 0 (the output scale is ~2^31 times the accumulator scale): some channels output only the zero point', 'check the calibration of this layer');
      }
    }

    if (op.kind === 'max_pool2d' || op.kind === 'avg_pool2d') {
      const [kh, kw] = op.kernel;
      if (kh > p.pool.maxKernel || kw > p.pool.maxKernel) add('error', op, 'kernel', `pool kernel ${kh}×${kw} exceeds ${p.pool.maxKernel}×${p.pool.maxKernel}`, 'pool in two steps');
      if (!op.stride.every((s) => p.pool.strides.includes(s))) add('error', op, 'stride', `pool stride ${op.stride.join('×')} is not one of ${p.pool.strides.join(', ')}`, 'use a supported stride');
      if (op.padding.some((q) => q > (p.pool.maxPadding ?? Infinity))) add('error', op, 'padding', `pool padding ${op.padding.join('×')} exceeds ${p.pool.maxPadding}`, 'reduce the padding');
    }
    if (op.kind === 'add' || op.kind === 'avg_pool2d' || op.kind === 'requantize') {
      const params = op.kind === 'add' ? [op.requantA, op.requantB] : [op.requant];
      if (params.some((r) => multiplierZero(r))) add('warning', op, 'requant', 'a rescale multiplier underflows to 0: that input contributes nothing', 'check the scales (calibration) of its inputs and output');
    }
  }
  return { layers, violations };
}

function formatReport(march: MarchProfile, layers: CheckLayer[], violations: CheckViolation[], passed: boolean, summary: CheckReport['summary']): string {
  const lines: string[] = [];
  const rule = '='.repeat(100);
  lines.push(rule, `check_model result (model_check_result.txt) — march: ${march.name} — ${march.title}`, rule);
  lines.push(passed ? 'This model is supported!' : 'This model is NOT supported: fix the errors below.');
  lines.push(`${summary.errors} error(s), ${summary.warnings} warning(s); ${summary.ops} ops, ${summary.macs.toLocaleString('en-US')} MACs per sample, ${summary.weight_bytes.toLocaleString('en-US')} bytes of weights and biases`);
  lines.push('', `Target: ${march.description}`, '');
  if (layers.length) {
    lines.push('Layers', '------');
    lines.push(
      formatTable(
        ['name', 'op', 'input dtype', 'weight dtype', 'output dtype', 'output shape', 'kernel', 'stride', 'MACs'],
        layers.map((l) => [l.name, l.op, l.input_dtypes.join(', '), l.weight_dtype ?? '', l.output_dtype, `[${l.output_shape.join(', ')}]`, l.kernel, l.stride, l.macs ? String(l.macs) : '']),
      ),
      '',
    );
  }
  lines.push('Violations', '----------');
  if (!violations.length) lines.push('None.');
  for (const v of violations) {
    lines.push(`[${v.severity.toUpperCase()}] ${v.layer} (${v.op}) ${v.rule}: ${v.message}`);
    lines.push(`    fix: ${v.fix}`);
  }
  return lines.join('\n') + '\n';
}

function isConvertResult(x: unknown): x is ConvertResult {
  return !!x && typeof x === 'object' && 'model' in x && 'nodes' in x;
}

export async function check_model(model: GraphModule | IntegerModel | ConvertResult, march: MarchName | string = get_march(), options: ConvertOptions = {}): Promise<CheckReport> {
  const p = getMarch(march);
  let violations: CheckViolation[] = [];
  let integer: IntegerModel | null = null;
  if (model instanceof GraphModule) {
    violations = graphViolations(model);
    if (!violations.length) {
      try {
        integer = (await convert(model, options)).model;
      } catch (e) {
        if (!(e instanceof ConvertError)) throw e;
        violations.push({ severity: 'error', layer: e.node, op: e.target, rule: 'convert', message: e.message.replace(/^convert: /, ''), fix: 'see the message: the layer must be expressible in integer ops' });
      }
    }
  } else {
    integer = isConvertResult(model) ? model.model : model;
  }
  let layers: CheckLayer[] = [];
  if (integer) {
    const r = checkIntegerModel(integer, p);
    layers = r.layers;
    violations.push(...r.violations);
  }
  const order: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  violations.sort((a, b) => order[a.severity] - order[b.severity]);
  const errors = violations.filter((v) => v.severity === 'error').length;
  const summary = {
    ops: layers.length,
    macs: layers.reduce((a, l) => a + l.macs, 0),
    weight_bytes: layers.reduce((a, l) => a + l.weight_bytes, 0),
    errors,
    warnings: violations.filter((v) => v.severity === 'warning').length,
  };
  const passed = errors === 0 && integer !== null;
  return { march: p.name, passed, layers, violations, summary, text: formatReport(p, layers, violations, passed, summary) };
}
