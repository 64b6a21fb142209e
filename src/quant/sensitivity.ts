/**
 * One-at-a-time quantization sensitivity of a calibrated prepared model, as the Horizon debug tool's
 * sensitivity analysis and PyTorch's "quantize one layer at a time" recipe:
 *
 *   float         every fake quantizer off: the reference output
 *   only(node)    fake quantization on for that node's quantizers alone
 *   all_but(node) fake quantization on everywhere except that node
 *
 * For each run: the mean |output − float| (L1), the SQNR of the output against float
 * (10·log10 Σf² / Σ(f − y)²) and, when labels are given, the accuracy. `sensitivityTable` turns one
 * metric into the debug tool's table — rows [node, type, value], most sensitive first — which the
 * sensitive_op_* setters take as it is (with `ratio` or `topk`).
 *
 * The scales are not touched: the model is put in eval mode with its fake quantizers in VALIDATION
 * (observers off) and left so; each run switches fake_quant_enabled per quantizer and restores it.
 */
import { Tensor, keep, tidy } from '../engine/tensor';
import { no_grad } from '../engine/autograd';
import type { Module } from '../nn/module';
import { GraphModule } from '../graph/graph_module';
import { FakeQuantizeBase } from './fake_quantize';
import { set_fake_quantize } from './fake_quant_state';
import { FakeQuantState } from './types';
import type { CheckResult } from './check_table';

/** A quantized op: a module that owns fake quantizers (its weight, input or output ones). */
export interface SensitiveNode {
  /** Module path, what the check table, ModuleNameQconfigSetter and the sensitive_op setters use. */
  name: string;
  /** Op type as the check table shows it (Conv2d+BatchNorm2d+ReLU, Linear, QuantStub, ...). */
  type: string;
  /** Paths of its fake quantizers. */
  fake_quantizers: string[];
}

export interface SensitivityBatch {
  input: Tensor;
  /** Class labels of the batch, for accuracy (argmax of the output's last axis). */
  labels?: ArrayLike<number>;
}

export type SensitivityMode = 'only' | 'all_but';
export type SensitivityMetric = 'L1' | 'SQNR' | 'accuracy';
export const SENSITIVITY_METRICS: readonly SensitivityMetric[] = ['L1', 'SQNR', 'accuracy'];

/** How far one configuration's output is from the float output. */
export interface OutputStats {
  /** Mean |y − float| over the output elements. */
  L1: number;
  /** dB; Infinity when y equals float. */
  SQNR: number;
  /** 0..1, null without labels. */
  accuracy: number | null;
}

export interface NodeSensitivity {
  node: string;
  type: string;
  only?: OutputStats;
  all_but?: OutputStats;
}

export interface SensitivityResult {
  nodes: NodeSensitivity[];
  /** Accuracy of the float run (null without labels). */
  float_accuracy: number | null;
  /** Every quantizer on (the fake-quant model). */
  all_quantized: OutputStats;
  modes: SensitivityMode[];
  images: number;
}

export interface SensitivityOptions {
  modes?: readonly SensitivityMode[];
  signal?: AbortSignal;
  /** After each run: runs done, runs in all, what ran. */
  onProgress?: (done: number, total: number, what: string) => void;
}

/** One row of the debug tool's table: [node, type, metric value]. */
export type SensitivityRow = [string, string, number];

function fakeQuantizerEntries(model: Module): [string, FakeQuantizeBase][] {
  return [...model.named_modules()].filter((e): e is [string, FakeQuantizeBase] => e[1] instanceof FakeQuantizeBase);
}

function ownerOf(path: string): string {
  const i = path.lastIndexOf('.');
  return i < 0 ? '' : path.slice(0, i);
}

/** The quantized ops of a prepared model, in graph order, with their fake quantizers. */
export function quantizedNodes(model: Module & { check_result?: CheckResult }): SensitiveNode[] {
  const byOwner = new Map<string, string[]>();
  for (const [path] of fakeQuantizerEntries(model)) {
    const owner = ownerOf(path);
    if (!byOwner.has(owner)) byOwner.set(owner, []);
    byOwner.get(owner)!.push(path);
  }
  const typeOf = new Map<string, string>();
  for (const row of model.check_result?.rows ?? []) {
    if (row.opcode === 'call_module' && !typeOf.has(row.target)) typeOf.set(row.target, row.type);
  }
  // Graph order when the model is a GraphModule; otherwise the modules' order.
  const order: string[] = [];
  if (model instanceof GraphModule) {
    for (const n of model.graph.nodes) if (n.op === 'call_module' && !order.includes(n.target)) order.push(n.target);
  }
  for (const owner of byOwner.keys()) if (!order.includes(owner)) order.push(owner);
  return order
    .filter((name) => byOwner.has(name))
    .map((name) => ({
      name,
      type: typeOf.get(name) ?? (model.get_submodule(name) as Module & { _float_type?: string })._float_type ?? model.get_submodule(name)._typeName,
      fake_quantizers: byOwner.get(name)!,
    }));
}

/** Runs `fn` with fake quantization on exactly for the quantizers `enabled` says, then restores the flags. */
export async function withFakeQuantEnabled<T>(model: Module, enabled: (path: string) => boolean, fn: () => Promise<T>): Promise<T> {
  const entries = fakeQuantizerEntries(model);
  const saved = entries.map(([, fq]) => fq.fake_quant_enabled);
  try {
    for (const [path, fq] of entries) fq.fake_quant_enabled = enabled(path);
    return await fn();
  } finally {
    entries.forEach(([, fq], i) => (fq.fake_quant_enabled = saved[i]!));
  }
}

function firstTensor(value: unknown, where: string): Tensor {
  if (value instanceof Tensor) return value;
  if (Array.isArray(value) && value[0] instanceof Tensor) return value[0];
  throw new Error(`${where}: the model's output is not a tensor (sensitivity compares output 0)`);
}

/** The model's output 0 on every batch, read back (one array per batch). */
export async function runOutputs(model: Module, batches: readonly SensitivityBatch[], what = 'sensitivity'): Promise<Float32Array[]> {
  const outs: Tensor[] = [];
  try {
    for (const b of batches) outs.push(keep(no_grad(() => tidy(() => firstTensor(model(b.input), what)))));
    return await Promise.all(outs.map(async (t) => Float32Array.from(await t.read())));
  } finally {
    for (const t of outs) t.dispose();
  }
}

/** Correct predictions (argmax over the last axis of a [N, classes] output). */
export function countCorrect(output: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = labels.length;
  if (n === 0) return 0;
  const classes = output.length / n;
  if (!Number.isInteger(classes)) throw new Error(`accuracy: ${output.length} outputs for ${n} labels`);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (output[i * classes + c]! > output[i * classes + best]!) best = c;
    if (best === labels[i]) correct++;
  }
  return correct;
}

/** SQNR in dB of `y` against the reference `x`: 10·log10(Σx² / Σ(x − y)²); Infinity when equal. */
export function sqnr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error(`sqnr: ${x.length} reference values, ${y.length} values`);
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - y[i]!;
    signal += x[i]! * x[i]!;
    noise += d * d;
  }
  if (noise === 0) return Infinity;
  return 10 * Math.log10(signal / noise);
}

/** Compares one run's outputs with the float ones. */
export function outputStats(float: readonly Float32Array[], outputs: readonly Float32Array[], batches: readonly SensitivityBatch[]): OutputStats {
  let l1 = 0;
  let count = 0;
  let signal = 0;
  let noise = 0;
  let correct = 0;
  let labelled = 0;
  for (let b = 0; b < float.length; b++) {
    const f = float[b]!;
    const y = outputs[b]!;
    for (let i = 0; i < f.length; i++) {
      const d = f[i]! - y[i]!;
      l1 += Math.abs(d);
      signal += f[i]! * f[i]!;
      noise += d * d;
    }
    count += f.length;
    const labels = batches[b]!.labels;
    if (labels) {
      correct += countCorrect(y, labels);
      labelled += labels.length;
    }
  }
  return {
    L1: count ? l1 / count : 0,
    SQNR: noise === 0 ? Infinity : 10 * Math.log10(signal / noise),
    accuracy: labelled ? correct / labelled : null,
  };
}

function floatAccuracy(float: readonly Float32Array[], batches: readonly SensitivityBatch[]): number | null {
  let correct = 0;
  let labelled = 0;
  batches.forEach((b, i) => {
    if (!b.labels) return;
    correct += countCorrect(float[i]!, b.labels);
    labelled += b.labels.length;
  });
  return labelled ? correct / labelled : null;
}

/**
 * The one-at-a-time analysis. `model` is a calibrated prepared model; it is put in eval mode and
 * VALIDATION fake-quant state (scales frozen) and left so.
 */
export async function analyzeSensitivity(model: Module, batches: readonly SensitivityBatch[], options: SensitivityOptions = {}): Promise<SensitivityResult> {
  if (batches.length === 0) throw new Error('sensitivity: no input batches');
  const modes = [...(options.modes ?? (['only', 'all_but'] as const))];
  const nodes = quantizedNodes(model);
  if (nodes.length === 0) throw new Error(`sensitivity: ${model._typeName} has no fake quantizers (prepare it and calibrate it first)`);
  model.eval();
  set_fake_quantize(model, FakeQuantState.VALIDATION);
  const total = 2 + nodes.length * modes.length;
  let done = 0;
  const step = (what: string) => {
    if (options.signal?.aborted) throw new Error('sensitivity: cancelled');
    options.onProgress?.(++done, total, what);
  };
  const run = (enabled: (path: string) => boolean) => withFakeQuantEnabled(model, enabled, () => runOutputs(model, batches));

  const float = await run(() => false);
  step('float');
  const all = await run(() => true);
  step('all quantized');
  const result: NodeSensitivity[] = [];
  for (const node of nodes) {
    const mine = new Set(node.fake_quantizers);
    const entry: NodeSensitivity = { node: node.name, type: node.type };
    for (const mode of modes) {
      const outputs = await run(mode === 'only' ? (p) => mine.has(p) : (p) => !mine.has(p));
      entry[mode] = outputStats(float, outputs, batches);
      step(`${mode === 'only' ? 'only' : 'all but'} ${node.name}`);
    }
    result.push(entry);
  }
  return {
    nodes: result,
    float_accuracy: floatAccuracy(float, batches),
    all_quantized: outputStats(float, all, batches),
    modes,
    images: batches.reduce((s, b) => s + b.input.shape[0]!, 0),
  };
}

/**
 * Whether a larger value of `metric` in `mode` means a more sensitive node. Quantizing only a sensitive
 * node gives a large L1, a low SQNR, a low accuracy; quantizing everything but it the opposite.
 */
export function largerIsMoreSensitive(metric: SensitivityMetric, mode: SensitivityMode): boolean {
  const onlyLarger = metric === 'L1';
  return mode === 'only' ? onlyLarger : !onlyLarger;
}

/**
 * The debug tool's table for one metric: [node, type, value] rows, most sensitive first (ties keep
 * graph order). Pass it to sensitive_op_*_qconfig_setter(table, {topk}) or ({ratio}).
 */
export function sensitivityTable(result: SensitivityResult, metric: SensitivityMetric = 'L1', mode: SensitivityMode = 'only'): SensitivityRow[] {
  if (!result.modes.includes(mode)) throw new Error(`sensitivity table: the analysis did not run the '${mode}' mode (ran: ${result.modes.join(', ')})`);
  const rows: SensitivityRow[] = [];
  for (const n of result.nodes) {
    const value = n[mode]![metric];
    if (value === null) throw new Error(`sensitivity table: no ${metric} (the batches had no labels)`);
    rows.push([n.node, n.type, value]);
  }
  const sign = largerIsMoreSensitive(metric, mode) ? -1 : 1;
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => sign * (a.r[2] - b.r[2]) || a.i - b.i)
    .map((e) => e.r);
}

/** The table as JSON rows [node, type, value] (an infinite SQNR, which JSON lacks, as the string "Infinity"). */
export function sensitivityTableJson(rows: readonly SensitivityRow[]): string {
  return JSON.stringify(
    rows.map(([node, type, value]) => [node, type, Number.isFinite(value) ? value : String(value)]),
    null,
    1,
  );
}

/** Reads a table written by sensitivityTableJson (or any [[node, type, value], ...] JSON). */
export function parseSensitivityTable(json: string): SensitivityRow[] {
  const data: unknown = JSON.parse(json);
  if (!Array.isArray(data)) throw new Error('sensitivity table JSON: expected an array of [node, type, value] rows');
  return data.map((row, i) => {
    if (!Array.isArray(row) || typeof row[0] !== 'string' || row.length < 3) throw new Error(`sensitivity table JSON: row ${i} is not [node, type, value]`);
    return [row[0], String(row[1]), Number(row[2])];
  });
}
