/**
 * Per-layer SQNR of weights and activations, as PyTorch's Numeric Suite compares a float model with its
 * quantized one (compare_weights / compare_model_outputs), for each quantized op of a calibrated prepared
 * model:
 *
 *   weight_sqnr       the weight its fake quantizer gets (BN folded in for conv+BN) vs the fake-quantized one
 *   activation_sqnr   the op's output in the float run (fake quant off) vs the fake-quant run (all on):
 *                     the error accumulated up to this layer
 *   local_sqnr        the op's output quantizer alone: its input vs its output in the fake-quant run
 *   fixed_sqnr        the fixed-point model's value of this op (convert + the CPU integer executor) vs the
 *                     float output, when the model converts
 *
 * All in dB (10·log10 Σref² / Σerr²; Infinity when equal). The model is left in eval + VALIDATION.
 */
import { Tensor, keep, tidy } from '../engine/tensor';
import { no_grad } from '../engine/autograd';
import type { Module } from '../nn/module';
import { setModuleCallHook } from '../nn/module';
import type { GraphModule } from '../graph/graph_module';
import { FakeQuantizeBase } from './fake_quantize';
import { set_fake_quantize } from './fake_quant_state';
import { FakeQuantState } from './types';
import { quantizedNodes, sqnr, withFakeQuantEnabled } from './sensitivity';
import { convert } from '../fixed/convert';
import { runIntegerModelCpu } from '../fixed/executor_cpu';
import { valueMap } from '../fixed/model';
import { compareToReference } from '../fixed/compare';

export interface LayerSqnr {
  node: string;
  type: string;
  weight_sqnr: number | null;
  activation_sqnr: number | null;
  local_sqnr: number | null;
  fixed_sqnr: number | null;
  /** Per-sample elements of the op's output (for activation sizes). */
  output_numel: number;
}

export interface LayerSqnrResult {
  layers: LayerSqnr[];
  /** Whether fixed_sqnr was measured, and why not. */
  fixed: { available: true } | { available: false; reason: string };
}

export interface LayerSqnrOptions {
  /** Also convert to the fixed-point model and compare its values (default true). */
  fixed?: boolean;
}

interface Capture {
  /** Host arrays per batch: owner module outputs, fake-quantizer inputs and outputs, by module path. */
  outputs: Map<string, Float32Array[]>;
  fqInputs: Map<string, Float32Array[]>;
  fqOutputs: Map<string, Float32Array[]>;
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Runs the batches, keeping the owners' outputs and the fake quantizers' inputs and outputs, then reads them back. */
async function capture(model: Module, inputs: readonly Tensor[], owners: ReadonlySet<Module>, fqs: ReadonlySet<Module>): Promise<Capture> {
  const paths = new Map<Module, string>([...model.named_modules()].map(([p, m]) => [m, p]));
  const kept: { into: Map<string, Float32Array[]>; path: string; batch: number; view: Tensor }[] = [];
  const result: Capture = { outputs: new Map(), fqInputs: new Map(), fqOutputs: new Map() };
  // A view outlives the tidy scope (its storage stays until the view is disposed).
  const record = (into: Map<string, Float32Array[]>, path: string, t: Tensor, batch: number) => kept.push({ into, path, batch, view: keep(t.detach()) });
  try {
    for (let b = 0; b < inputs.length; b++) {
      const previous = setModuleCallHook((module, method, args, run) => {
        const out = previous ? previous(module, method, args, run) : run();
        if (method !== 'forward' || !(out instanceof Tensor)) return out;
        const path = paths.get(module);
        if (path === undefined) return out;
        if (fqs.has(module) && args[0] instanceof Tensor) {
          record(result.fqInputs, path, args[0], b);
          record(result.fqOutputs, path, out, b);
        }
        if (owners.has(module)) record(result.outputs, path, out, b);
        return out;
      });
      try {
        no_grad(() => tidy(() => void model(inputs[b]!)));
      } finally {
        setModuleCallHook(previous);
      }
    }
    for (const k of kept) {
      const data = Float32Array.from(await k.view.read());
      if (!k.into.has(k.path)) k.into.set(k.path, []);
      k.into.get(k.path)![k.batch] = data;
    }
    return result;
  } finally {
    for (const k of kept) k.view.dispose();
  }
}

/** Per-layer SQNR of a calibrated prepared model on `inputs` (a few small batches). */
export async function layerSqnr(model: GraphModule, inputs: readonly Tensor[], options: LayerSqnrOptions = {}): Promise<LayerSqnrResult> {
  if (inputs.length === 0) throw new Error('layer SQNR: no input batches');
  const nodes = quantizedNodes(model);
  model.eval();
  set_fake_quantize(model, FakeQuantState.VALIDATION);
  const owners = new Set<Module>(nodes.map((n) => model.get_submodule(n.name)));
  const fqModules = new Set<Module>([...model.modules()].filter((m) => m instanceof FakeQuantizeBase));
  const floatRun = await withFakeQuantEnabled(model, () => false, () => capture(model, inputs, owners, fqModules));
  const quantRun = await withFakeQuantEnabled(model, () => true, () => capture(model, inputs, owners, fqModules));

  let fixedValues: Map<string, number> | null = null;
  let fixedStatus: LayerSqnrResult['fixed'] = { available: false, reason: 'not asked for' };
  if (options.fixed ?? true) {
    try {
      fixedValues = await fixedSqnrs(model, inputs, floatRun);
      fixedStatus = { available: true };
    } catch (e) {
      fixedStatus = { available: false, reason: e instanceof Error ? e.message : String(e) };
    }
  }

  const layers = nodes.map((n): LayerSqnr => {
    const floatOut = floatRun.outputs.get(n.name);
    const quantOut = quantRun.outputs.get(n.name);
    const weightPath = n.fake_quantizers.find((p) => p.endsWith('.weight_fake_quant'));
    const outputPath = n.fake_quantizers.find((p) => p.endsWith('.activation_post_process'));
    const w = weightPath ? quantRun.fqInputs.get(weightPath)?.[0] : undefined;
    const wq = weightPath ? quantRun.fqOutputs.get(weightPath)?.[0] : undefined;
    const a = outputPath ? concat(quantRun.fqInputs.get(outputPath) ?? []) : null;
    const aq = outputPath ? concat(quantRun.fqOutputs.get(outputPath) ?? []) : null;
    return {
      node: n.name,
      type: n.type,
      weight_sqnr: w && wq ? sqnr(w, wq) : null,
      activation_sqnr: floatOut && quantOut ? sqnr(concat(floatOut), concat(quantOut)) : null,
      local_sqnr: a && aq && a.length ? sqnr(a, aq) : null,
      fixed_sqnr: fixedValues?.get(n.name) ?? null,
      output_numel: floatOut ? floatOut[0]!.length / inputs[0]!.shape[0]! : 0,
    };
  });
  return { layers, fixed: fixedStatus };
}

/** SQNR of each quantized op's fixed-point value against its float output (throws when the model does not convert). */
async function fixedSqnrs(model: GraphModule, inputs: readonly Tensor[], floatRun: Capture): Promise<Map<string, number>> {
  const converted = await convert(model, { example_inputs: inputs[0]! });
  const im = converted.model;
  if (im.inputs.length !== 1) throw new Error(`layer SQNR: the fixed-point model has ${im.inputs.length} inputs (one is supported)`);
  const infos = valueMap(im);
  const valueOf = new Map<string, string>();
  for (const n of converted.nodes) if (n.value !== null && !valueOf.has(n.target)) valueOf.set(n.target, n.value);
  const fixedParts = new Map<string, Float32Array[]>();
  for (const x of inputs) {
    const values = runIntegerModelCpu(im, { [im.inputs[0]!]: await x.read() });
    for (const [path, value] of valueOf) {
      const v = values.get(value);
      if (!v) continue;
      if (!fixedParts.has(path)) fixedParts.set(path, []);
      fixedParts.get(path)!.push(Float32Array.from(v));
    }
  }
  const out = new Map<string, number>();
  for (const [path, parts] of fixedParts) {
    const reference = floatRun.outputs.get(path);
    const info = infos.get(valueOf.get(path)!)!;
    if (!reference || info.dtype === 'float32') continue;
    const ref = concat(reference);
    const fixed = concat(parts);
    if (ref.length !== fixed.length) continue;
    out.set(path, compareToReference(fixed, ref, info).sqnrDb);
  }
  return out;
}
