/**
 * prepare(model, {example_inputs, qconfig_setter}) → the QAT (or calibration) model, as the Horizon
 * toolchain's prepare: trace, fuse, decide each op's qconfig (setters in order, first match wins; then
 * the eager `module.qconfig` of the op or its parents; else the op stays float), swap in QAT modules with
 * their fake quantizers, and check the result (`model.check_result`, like model_check_result.txt).
 *
 * The prepared model is a GraphModule sharing the float model's parameters: prepare a fresh float model
 * (re-evaluate the code and load the float weights) for each stage, as Horizon's examples deepcopy it.
 */
import { Module } from '../nn/module';
import * as nn from '../nn/index';
import { GraphModule } from '../graph/graph_module';
import { symbolic_trace } from '../graph/tracer';
import { fuseGraph } from '../graph/fuse';
import type { Node } from '../graph/node';
import { FusedConv2d, FusedLinear } from '../nn/fused';
import { QConfig, describeFakeQuantize, type FakeQuantizeFactory } from './qconfig';
import { classifyNode, takesQConfig, type OpInfo } from './op_kinds';
import { isQconfigSetter, type QconfigSetter, type QuantOp, type SetterContext } from './setters';
import { isQatModule, toQat, type QatParts } from './qat_modules';
import { FakeQuantize } from './fake_quantize';
import { FixedScaleObserver } from './observer_fixed';
import { buildCheckResult, type CheckResult, type Decision } from './check_table';

export interface PrepareOptions {
  /** Inputs of one forward (a tensor or an array of them). Tracing is symbolic; they set the input count. */
  example_inputs?: unknown;
  /** Setters applied in order; the first that decides an op wins. */
  qconfig_setter?: QconfigSetter | readonly QconfigSetter[];
  /** A final conv/linear gets an int32 output from the template setters (default true). */
  high_precision_output?: boolean;
}

/** A prepared model: the GraphModule, with the check table of what prepare did. */
export interface PreparedModel extends GraphModule {
  check_result: CheckResult;
}

const OPTION_KEYS = ['example_inputs', 'qconfig_setter', 'high_precision_output'];

function isOptions(value: unknown): value is PrepareOptions {
  return (
    !!value &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype &&
    Object.keys(value).length > 0 &&
    Object.keys(value).every((k) => OPTION_KEYS.includes(k))
  );
}

function setterList(value: PrepareOptions['qconfig_setter']): QconfigSetter[] {
  if (value === undefined || value === null) return [];
  const list = (Array.isArray(value) ? value : [value]) as unknown[];
  return list.map((s, i) => {
    if (!isQconfigSetter(s)) {
      throw new Error(
        `prepare: qconfig_setter[${i}] is not a qconfig setter (got ${s === null ? 'null' : typeof s}); ` +
          'use the templates (default_qat_qconfig_setter, ...), sensitive_op_*(...) or new ModuleNameQconfigSetter({...})',
      );
    }
    return s;
  });
}

/** The eager qconfig of a module path: its own `.qconfig`, else its nearest parent's (PyTorch's propagation). */
function eagerQConfig(gm: GraphModule, path: string): QConfig | null {
  let found: unknown = gm.qconfig;
  let m: Module = gm;
  for (const part of path.split('.')) {
    const next = (m as unknown as Record<string, unknown>)[part];
    if (!(next instanceof Module)) break;
    m = next;
    if (m.qconfig) found = m.qconfig;
  }
  if (found && !(found instanceof QConfig)) {
    throw new Error(`${path}.qconfig is not a QConfig (got ${typeof found}); use get_qconfig({...}) or one of the default_*_qconfig`);
  }
  return (found as QConfig | null) ?? null;
}

/** A conv/linear whose output reaches the model output through passthrough ops and DeQuantStubs only. */
function isFinalOp(node: Node, kinds: Map<Node, OpInfo>): boolean {
  const seen = new Set<Node>();
  const stack = [...node.users];
  let reachesOutput = false;
  while (stack.length) {
    const user = stack.pop()!;
    if (seen.has(user)) continue;
    seen.add(user);
    const kind = kinds.get(user)?.kind;
    if (user.op === 'output') reachesOutput = true;
    else if (kind === 'passthrough' || kind === 'dequant_stub' || kind === 'shape') stack.push(...user.users);
    else return false;
  }
  return reachesOutput;
}

function fusedNames(module: Module | null): string[] {
  return module instanceof FusedConv2d || module instanceof FusedLinear ? [...module.fused_names] : [];
}

/** Fake quantizers of one op from its qconfig. */
function makeParts(op: QuantOp, qconfig: QConfig): QatParts {
  const parts: QatParts = {};
  const module = op.module!;
  let output: FakeQuantizeFactory | null = qconfig.output;
  if (module instanceof nn.QuantStub && typeof module.args.scale === 'number') {
    // QuantStub(scale=...) pins the input scale, as Horizon's QuantStub does.
    const dtype = output ? describeFakeQuantize(output).dtype : 'qint8';
    output = FakeQuantize.with_args({ observer: FixedScaleObserver, dtype, scale: module.args.scale, zero_point: module.args.zero_point ?? 0 });
  }
  if (output) parts.activation_post_process = output();
  if (qconfig.input) parts.input_fake_quant = qconfig.input();
  if (qconfig.weight && op.kind === 'weighted') parts.weight_fake_quant = weightFakeQuantizer(qconfig.weight, module);
  return parts;
}

function weightFakeQuantizer(factory: FakeQuantizeFactory, module: Module): Module {
  const channels =
    module instanceof FusedConv2d ? module.conv.out_channels
    : module instanceof FusedLinear ? module.linear.out_features
    : module instanceof nn.Conv2d ? module.out_channels
    : (module as nn.Linear).out_features;
  // A per-channel learnable fake quantizer needs the channel count up front.
  if (factory.cls?.name === 'LearnableFakeQuantize' && factory.args.channel_len === undefined && describeFakeQuantize(factory).ch_axis !== null) {
    return factory.with_args({ channel_len: channels } as never)();
  }
  return factory();
}

export function prepare(model: Module, optionsOrInputs: PrepareOptions | unknown = {}, maybeOptions: PrepareOptions = {}): PreparedModel {
  // prepare(model, {example_inputs, qconfig_setter}) or, as in Python, prepare(model, example_inputs, {qconfig_setter}).
  const options: PrepareOptions = isOptions(optionsOrInputs) ? optionsOrInputs : { ...maybeOptions, example_inputs: optionsOrInputs };
  if ([...model.modules()].some(isQatModule)) throw new Error('prepare: this model is already prepared (it has QAT modules); prepare the float model');
  const setters = setterList(options.qconfig_setter);
  const gm = model instanceof GraphModule ? model : symbolic_trace(model);
  checkInputCount(gm, options.example_inputs);
  const fusions = fuseGraph(gm);
  gm.fusions = [...gm.fusions, ...fusions];

  const kinds = new Map<Node, OpInfo>();
  for (const node of gm.graph.nodes) kinds.set(node, classifyNode(gm, node));

  const ops: QuantOp[] = [];
  const seenTargets = new Set<string>();
  for (const node of gm.graph.nodes) {
    const info = kinds.get(node)!;
    if (!takesQConfig(info.kind)) continue;
    if (node.op === 'call_module' && seenTargets.has(node.target)) continue;
    if (node.op === 'call_module') seenTargets.add(node.target);
    const module = node.op === 'call_module' ? gm.get_submodule(node.target) : null;
    ops.push({
      node,
      name: node.op === 'call_module' ? node.target : node.name,
      module,
      kind: info.kind,
      type: info.type,
      is_final: info.kind === 'weighted' && isFinalOp(node, kinds),
      fused_names: fusedNames(module),
    });
  }

  const decisions = new Map<QuantOp, Decision>();
  const highPrecision = options.high_precision_output ?? true;
  for (const setter of setters) {
    const ctx: SetterContext = {
      ops,
      high_precision_output: highPrecision,
      isDecided: (op) => decisions.has(op),
      set: (op, qconfig) => {
        if (decisions.has(op)) return;
        if (qconfig !== null && !(qconfig instanceof QConfig)) throw new Error(`${setter.setter_name}: gave ${op.name} something that is not a QConfig`);
        decisions.set(op, { qconfig, source: setter.setter_name });
      },
    };
    setter.apply(ctx);
  }
  for (const op of ops) {
    if (decisions.has(op)) continue;
    const eager = op.module ? eagerQConfig(gm, op.name) : null;
    decisions.set(op, eager ? { qconfig: eager, source: 'eager (module.qconfig)' } : { qconfig: null, source: 'none (float)' });
  }

  for (const op of ops) {
    const decision = decisions.get(op)!;
    if (!decision.qconfig || !op.module) continue;
    gm.replace_submodule(op.name, toQat(op.module, makeParts(op, decision.qconfig)));
  }

  const prepared = gm as PreparedModel;
  prepared.check_result = buildCheckResult(gm, kinds, ops, decisions);
  return prepared;
}

function checkInputCount(gm: GraphModule, example: unknown): void {
  if (example === undefined || example === null) return;
  const count = Array.isArray(example) ? example.length : 1;
  const expected = gm.graph.placeholders.length;
  if (count !== expected) {
    throw new Error(
      `prepare: example_inputs has ${count} input(s), but ${gm.original_name}.forward takes ${expected} (${gm.graph.placeholders.map((p) => p.name).join(', ')})`,
    );
  }
}
