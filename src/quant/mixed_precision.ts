/**
 * Automatic mixed precision from a sensitivity table: the smallest set of int16-activation ops
 * (sensitive_op_*_8bit_weight_16bit_act) that brings the quantized accuracy within `target` of float.
 *
 *   1. all int8 (the baseline); done if it is within the target
 *   2. greedy: int16 for the 1, 2, ... most sensitive ops of the table until the target is met
 *   3. pruning: each chosen op, least sensitive first, goes back to int8 if the target still holds
 *
 * Each candidate is measured by the caller's `evaluate(int16_nodes)` — prepare with
 * `sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter(int16Table(nodes), {topk: n})` in front
 * of the usual setters, calibrate, then the fixed-point accuracy (`measureAccuracy` falls back to the
 * fake-quant accuracy when the model does not convert, and says so).
 */
import { Tensor, tidy } from '../engine/tensor';
import { no_grad } from '../engine/autograd';
import type { Module } from '../nn/module';
import { setModuleCallHook } from '../nn/module';
import type { GraphModule } from '../graph/graph_module';
import type { PreparedModel } from './prepare';
import type { SensitivityTable } from './setters';
import { countCorrect, quantizedNodes, runOutputs, type SensitivityBatch } from './sensitivity';
import { convert } from '../fixed/convert';
import { runIntegerModelCpu } from '../fixed/executor_cpu';

export type AccuracySource = 'fixed' | 'fake_quant';

export interface ModelSize {
  /** Quantized weights (at their dtype) and int32 biases of the quantized ops; float ops at 4 bytes. */
  weight_bytes: number;
  /** Per sample: every quantized op's output at its dtype (int8 = 1, int16 = 2, int32 = 4 bytes). */
  activation_bytes: number;
}

export interface CandidateMeasure {
  accuracy: number;
  measured_on: AccuracySource;
  /** Why the fixed-point accuracy was not available, when it was not. */
  note?: string;
  size: ModelSize;
}

export interface MixedPrecisionCandidate extends CandidateMeasure {
  int16: string[];
  within_target: boolean;
}

export interface MixedPrecisionOptions {
  /** Most sensitive first (sensitivityTable's rows or any sensitive_op table). */
  table: SensitivityTable;
  float_accuracy: number;
  /** Allowed accuracy drop from float, 0..1 (0.01 = one point). */
  target: number;
  evaluate(int16: readonly string[]): Promise<CandidateMeasure>;
  /** Drop chosen ops that are not needed (default true). */
  prune?: boolean;
  /** Give up after this many int16 ops (default: the whole table). */
  max_nodes?: number;
  signal?: AbortSignal;
  onCandidate?: (c: MixedPrecisionCandidate) => void;
}

export interface MixedPrecisionResult {
  /** The ops that get int16 activations (table order). */
  int16: string[];
  reached: boolean;
  chosen: MixedPrecisionCandidate;
  baseline: MixedPrecisionCandidate;
  /** Every candidate measured, in order. */
  candidates: MixedPrecisionCandidate[];
  /** Accuracy left below float, and bytes added over all-int8. */
  cost: { accuracy_drop: number; activation_bytes: number; weight_bytes: number };
  /** The qconfig.ts line that reproduces the choice. */
  setter_code: string;
}

function tableNames(table: SensitivityTable): string[] {
  return table.map((row, i) => {
    const name = Array.isArray(row) ? row[0] : (row as { node?: unknown }).node;
    if (typeof name !== 'string') throw new Error(`mixed precision: table row ${i} has no op name`);
    return name;
  });
}

/** A sensitive_op table listing exactly these ops (pass it with topk = nodes.length). */
export function int16Table(nodes: readonly string[]): [string, string, number][] {
  return nodes.map((n, i) => [n, 'int16', nodes.length - i]);
}

export function setterCode(nodes: readonly string[], stage: 'calibration' | 'qat' = 'calibration'): string {
  const fn = stage === 'calibration' ? 'sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter' : 'sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter';
  return `${fn}(${JSON.stringify(int16Table(nodes))}, { topk: ${nodes.length} })`;
}

export async function searchMixedPrecision(options: MixedPrecisionOptions): Promise<MixedPrecisionResult> {
  const order = tableNames(options.table);
  const limit = Math.min(options.max_nodes ?? order.length, order.length);
  const floor = options.float_accuracy - options.target;
  const candidates: MixedPrecisionCandidate[] = [];
  const measured = new Map<string, MixedPrecisionCandidate>();
  const measure = async (set: readonly string[]): Promise<MixedPrecisionCandidate> => {
    const nodes = order.filter((n) => set.includes(n));
    const key = nodes.join('\n');
    const known = measured.get(key);
    if (known) return known;
    if (options.signal?.aborted) throw new Error('mixed precision: cancelled');
    const m = await options.evaluate(nodes);
    const c: MixedPrecisionCandidate = { ...m, int16: nodes, within_target: m.accuracy >= floor };
    measured.set(key, c);
    candidates.push(c);
    options.onCandidate?.(c);
    return c;
  };

  const baseline = await measure([]);
  let chosen = baseline;
  for (let k = 1; !chosen.within_target && k <= limit; k++) chosen = await measure(order.slice(0, k));
  if (chosen.within_target && (options.prune ?? true)) {
    for (const node of [...chosen.int16].reverse()) {
      if (chosen.int16.length <= 1) break;
      const without = await measure(chosen.int16.filter((n) => n !== node));
      if (without.within_target) chosen = without;
    }
  }
  return {
    int16: chosen.int16,
    reached: chosen.within_target,
    chosen,
    baseline,
    candidates,
    cost: {
      accuracy_drop: options.float_accuracy - chosen.accuracy,
      activation_bytes: chosen.size.activation_bytes - baseline.size.activation_bytes,
      weight_bytes: chosen.size.weight_bytes - baseline.size.weight_bytes,
    },
    setter_code: setterCode(chosen.int16),
  };
}

const BYTES: Record<string, number> = { qint8: 1, quint8: 1, qint16: 2, qint32: 4, float32: 4 };

/** Weight and activation bytes of a prepared model (one forward on `input` finds the output sizes). */
export function modelSize(model: PreparedModel, input: Tensor): ModelSize {
  const nodes = quantizedNodes(model);
  const owners = new Map<Module, string>(nodes.map((n) => [model.get_submodule(n.name), n.name]));
  const numel = new Map<string, number>();
  const batch = input.shape[0]!;
  const previous = setModuleCallHook((module, method, args, run) => {
    const out = previous ? previous(module, method, args, run) : run();
    const name = owners.get(module);
    if (name !== undefined && method === 'forward' && out instanceof Tensor && !numel.has(name)) numel.set(name, out.numel / batch);
    return out;
  });
  try {
    no_grad(() => tidy(() => void model(input)));
  } finally {
    setModuleCallHook(previous);
  }
  const rowOf = new Map(model.check_result.rows.filter((r) => r.opcode === 'call_module').map((r) => [r.target, r]));
  let weight_bytes = 0;
  let activation_bytes = 0;
  for (const n of nodes) {
    const row = rowOf.get(n.name);
    if (!row) continue;
    activation_bytes += (numel.get(n.name) ?? 0) * (BYTES[row.output_dtype] ?? 4);
    if (row.weight_dtype) {
      const params = model.get_submodule(n.name).named_parameters();
      for (const [pname, p] of params) {
        // Biases go to int32; BN affine parameters fold into the conv (counted as the conv's channels).
        if (pname.endsWith('bias') && !pname.includes('bn')) weight_bytes += p.numel * 4;
        else if (pname.endsWith('weight') && !pname.includes('bn')) weight_bytes += p.numel * (BYTES[row.weight_dtype] ?? 4);
      }
    }
  }
  return { weight_bytes, activation_bytes };
}

/**
 * Accuracy of a calibrated prepared model (eval mode, fake quantizers in VALIDATION) on labelled batches: of its fixed-point model (convert + the
 * CPU integer executor) when it converts, else of the fake-quant model, with the reason.
 */
export async function measureAccuracy(
  model: GraphModule,
  batches: readonly SensitivityBatch[],
  prefer: AccuracySource = 'fixed',
): Promise<{ accuracy: number; measured_on: AccuracySource; note?: string }> {
  const labelled = batches.filter((b) => b.labels);
  if (labelled.length === 0) throw new Error('mixed precision: the batches have no labels');
  const total = labelled.reduce((s, b) => s + b.labels!.length, 0);
  let note: string | undefined;
  if (prefer === 'fixed') {
    try {
      const converted = await convert(model, { example_inputs: labelled[0]!.input });
      const im = converted.model;
      if (im.inputs.length !== 1 || im.outputs.length < 1) throw new Error(`the fixed-point model has ${im.inputs.length} inputs and ${im.outputs.length} outputs`);
      let correct = 0;
      for (const b of labelled) {
        const values = runIntegerModelCpu(im, { [im.inputs[0]!]: await b.input.read() });
        correct += countCorrect(values.get(im.outputs[0]!)!, b.labels!);
      }
      return { accuracy: correct / total, measured_on: 'fixed' };
    } catch (e) {
      note = `fixed point not available (${e instanceof Error ? e.message : String(e)}); fake-quant accuracy instead`;
    }
  }
  const outputs = await runOutputs(model, labelled, 'mixed precision');
  let correct = 0;
  labelled.forEach((b, i) => (correct += countCorrect(outputs[i]!, b.labels!)));
  return { accuracy: correct / total, measured_on: 'fake_quant', ...(note ? { note } : {}) };
}
