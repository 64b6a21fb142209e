/**
 * Fake quant vs fixed point, layer by layer: the QAT model (eval, fake quantizers in VALIDATION) and its
 * converted integer model run on the same images; each converted layer's integers are compared with the
 * QAT model's output of that layer — the largest and mean difference in output steps (LSB) and the SQNR —
 * so a person sees where the two part. (They are not bit-equal: BN folding, bias quantization and
 * integer requantization round differently from the float fake-quant path.)
 */
import { Tensor, keep, tidy } from '../engine/tensor';
import { no_grad } from '../engine/autograd';
import { hasDevice } from '../engine/device';
import { setModuleCallHook, type Module } from '../nn/module';
import type { GraphModule } from '../graph/graph_module';
import type { ConvertResult } from './convert';
import { compareToReference, type LayerDiff } from './compare';
import { runIntegerModelCpu, type HostValue } from './executor_cpu';
import { valueMap } from './model';

export interface LayerComparison extends LayerDiff {
  /** The graph node (and module path) of the QAT model. */
  node: string;
  target: string;
  /** The IntegerModel value compared. */
  value: string;
  dtype: string;
}

export interface ModelComparison {
  layers: LayerComparison[];
  images: number;
  backend: 'webgpu' | 'cpu';
}

/** Every module's output on one batch, by module path (host arrays, NCHW). */
async function captureModuleOutputs(model: GraphModule, images: Tensor, wanted: ReadonlySet<string>): Promise<Map<string, Float32Array>> {
  const paths = new Map<Module, string>();
  for (const [path, m] of model.named_modules()) if (wanted.has(path)) paths.set(m, path);
  const kept: { path: string; t: Tensor }[] = [];
  const previous = setModuleCallHook((module, method, args, run) => {
    const out = previous ? previous(module, method, args, run) : run();
    const path = paths.get(module);
    if (path !== undefined && out instanceof Tensor) kept.push({ path, t: keep(out.detach()) });
    return out;
  });
  try {
    no_grad(() => tidy(() => void model(images)));
  } finally {
    setModuleCallHook(previous);
  }
  const out = new Map<string, Float32Array>();
  try {
    // A module called more than once (not in converted graphs) keeps its last output.
    for (const k of kept) out.set(k.path, Float32Array.from(await k.t.read()));
  } finally {
    for (const k of kept) k.t.dispose();
  }
  return out;
}

/**
 * `qat`: the prepared model, in eval mode with its fake quantizers in VALIDATION; `converted`: its
 * conversion; `images`: float NCHW, `count` of them. The integer model runs on the GPU when a device is
 * installed (executor results equal the CPU's), else on the CPU.
 */
export async function compareFakeAndFixed(qat: GraphModule, converted: ConvertResult, images: Float32Array, count: number): Promise<ModelComparison> {
  const model = converted.model;
  const info = valueMap(model);
  const input = model.inputs[0];
  const shape = info.get(input)!.shape;
  const targets = new Map<string, { node: string; value: string }>();
  for (const n of converted.nodes) {
    if (!n.value || n.ops.length === 0) continue;
    const v = info.get(n.value);
    if (!v || (v.dtype === 'float32' && !model.outputs.includes(n.value))) continue;
    targets.set(n.target, { node: n.node, value: n.value });
  }
  const x = Tensor.fromArray(images.subarray(0, count * shape.reduce((a, b) => a * b, 1)), [count, ...shape]);
  let fake: Map<string, Float32Array>;
  let fixed: Map<string, HostValue>;
  let backend: 'webgpu' | 'cpu' = 'cpu';
  try {
    fake = await captureModuleOutputs(qat, x, new Set(targets.keys()));
    if (hasDevice()) {
      backend = 'webgpu';
      const { IntegerExecutor } = await import('./gpu/executor');
      const executor = await IntegerExecutor.create(model);
      try {
        const results = executor.run({ [input]: x }, { keep: 'all' });
        fixed = new Map();
        try {
          for (const [name, t] of results) fixed.set(name, await executor.read(name, t));
        } finally {
          for (const t of results.values()) t.dispose();
        }
      } finally {
        executor.dispose();
      }
    } else {
      fixed = runIntegerModelCpu(model, { [input]: images.subarray(0, x.numel) });
    }
  } finally {
    x.dispose();
  }
  const layers: LayerComparison[] = [];
  for (const [target, { node, value }] of targets) {
    const reference = fake.get(target);
    const ours = fixed.get(value);
    const v = info.get(value)!;
    if (!reference || !ours || reference.length !== ours.length) continue;
    const diff = v.dtype === 'float32' ? floatDiff(ours, reference) : compareToReference(ours, reference, v);
    layers.push({ node, target, value, dtype: v.dtype === 'float32' ? 'float32' : (v.qdtype ?? v.dtype), ...diff });
  }
  return { layers, images: count, backend };
}

function floatDiff(ours: ArrayLike<number>, reference: ArrayLike<number>): LayerDiff {
  let signal = 0;
  let noise = 0;
  let max = 0;
  let sum = 0;
  for (let i = 0; i < ours.length; i++) {
    const e = Math.abs(reference[i] - ours[i]);
    signal += reference[i] ** 2;
    noise += e * e;
    max = Math.max(max, e);
    sum += e;
  }
  // A float output has no quantization step: "LSB" here is the absolute difference.
  return { maxLsb: max, meanAbsLsb: ours.length ? sum / ours.length : 0, sqnrDb: noise === 0 ? Infinity : 10 * Math.log10(signal / noise), count: ours.length };
}
