/**
 * Finding where a NaN/Inf loss came from, without reading anything back in normal steps:
 *
 * - `LossLog`: each step's loss is copied on the GPU into a small log, read together with the metrics
 *   snapshot every few steps; a non-finite entry names the first bad step.
 * - `StateRing`: before each step, the model's state (parameters and buffers) is copied on the GPU into
 *   a ring of the last few steps, so the weights the bad step started from can be put back.
 * - `locateNonFinite`: re-runs that step's batch once, module by module, reading every module's inputs
 *   and output, and names the first module whose output went non-finite from finite inputs (or, when a
 *   value went bad between module calls, the module whose forward computed it), with its non-finite
 *   parameters and buffers.
 */
import { Tensor, keep, tidy } from '../engine/tensor';
import { copyBuffer } from '../engine/commands';
import { no_grad } from '../engine/autograd';
import { Module, setModuleCallHook } from '../nn/module';

/** Each step's loss, kept on the GPU for the last `capacity` steps (steps count from 1). */
export class LossLog {
  private readonly log: Tensor;

  constructor(readonly capacity: number) {
    this.log = keep(Tensor.zeros([capacity]));
  }

  add(step: number, loss: Tensor): void {
    copyBuffer(loss.buffer, 0, this.log.buffer, ((step - 1) % this.capacity) * 4, 4);
  }

  /** The losses of steps (upTo - capacity, upTo], as of everything encoded so far. */
  async read(upTo: number): Promise<Map<number, number>> {
    const values = (await this.log.read()) as Float32Array;
    const out = new Map<number, number>();
    for (let step = Math.max(1, upTo - this.capacity + 1); step <= upTo; step++) out.set(step, values[(step - 1) % this.capacity]!);
    return out;
  }

  dispose(): void {
    this.log.dispose();
  }
}

interface Slot {
  step: number;
  batch: Int32Array | null;
  tensors: Map<string, Tensor>;
}

/** GPU copies of the model's state before each of the last `depth` steps. */
export class StateRing {
  private readonly slots: Slot[] = [];

  constructor(readonly depth: number) {}

  /** Copies the state the model has now, as the state before `step` (whose batch is `batch`). */
  record(step: number, model: Module, batch: Int32Array): void {
    const index = step % this.depth;
    const slot = (this.slots[index] ??= { step: -1, batch: null, tensors: new Map() });
    for (const [name, t] of model.state_dict()) {
      let copy = slot.tensors.get(name);
      if (!copy || copy.numel !== t.numel || copy.dtype !== t.dtype) {
        copy?.dispose();
        copy = keep(new Tensor(t.shape, t.dtype));
        slot.tensors.set(name, copy);
      }
      if (t.byteSize > 0) copyBuffer(t.buffer, 0, copy.buffer, 0, Math.ceil(t.byteSize / 4) * 4);
    }
    slot.step = step;
    slot.batch = batch;
  }

  /** Puts back the state from before `step`; returns that step's batch, or null if it is no longer kept. */
  restore(step: number, model: Module): Int32Array | null {
    const slot = this.slots.find((s) => s?.step === step);
    if (!slot) return null;
    for (const [name, t] of model.state_dict()) {
      const copy = slot.tensors.get(name);
      if (copy && copy.numel === t.numel && copy.dtype === t.dtype && t.byteSize > 0) copyBuffer(copy.buffer, 0, t.buffer, 0, Math.ceil(t.byteSize / 4) * 4);
    }
    return slot.batch;
  }

  dispose(): void {
    for (const slot of this.slots) for (const t of slot?.tensors.values() ?? []) t.dispose();
    this.slots.length = 0;
  }
}

export interface NonFiniteCount {
  nan: number;
  inf: number;
  total: number;
}

function count(values: ArrayLike<number>): NonFiniteCount {
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) nan++;
    else if (!Number.isFinite(v)) inf++;
  }
  return { nan, inf, total: values.length };
}

const bad = (c: NonFiniteCount) => c.nan + c.inf > 0;

export function describeCount(c: NonFiniteCount): string {
  const parts = [];
  if (c.nan) parts.push(`${c.nan} NaN`);
  if (c.inf) parts.push(`${c.inf} Inf`);
  return `${parts.join(' and ')} of ${c.total} values`;
}

export interface NonFiniteOrigin {
  /** Module path ('' = the model's own forward, between module calls); 'input' when the batch itself is bad. */
  module: string;
  /** Its type (ConvBnReLU2d, FakeQuantize...). */
  type: string;
  /** What went non-finite, e.g. "its output has 12 NaN of 4096 values". */
  detail: string;
  /** Parameters and buffers of that module (the whole model for '') that were already non-finite. */
  badState: { name: string; count: NonFiniteCount }[];
}

interface Event {
  kind: 'input' | 'output';
  path: string;
  module: Module;
  values: Promise<NonFiniteCount>;
}

function tensorsIn(value: unknown, out: Tensor[] = []): Tensor[] {
  if (value instanceof Tensor) out.push(value);
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, out);
  return out;
}

function parentPath(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? '' : path.slice(0, dot);
}

/**
 * Runs `forward` once (no grad) with every module call watched, and finds where the first non-finite
 * value appeared. `model` must hold the state the bad step started from. Returns null if nothing went
 * non-finite (the loss itself overflowed, or the step does not reproduce).
 */
export async function locateNonFinite(model: Module, forward: () => unknown, inputs: readonly Tensor[]): Promise<NonFiniteOrigin | null> {
  const names = new Map<Module, string>();
  for (const [name, m] of model.named_modules()) if (!names.has(m)) names.set(m, name);
  const stateReads = [...model.state_dict()].map(([name, t]) => ({ name, values: t.read().then(count) }));
  const inputReads = inputs.map((t) => t.read().then(count));
  const events: Event[] = [];
  const cache = new Map<Tensor, Promise<NonFiniteCount>>();
  const check = (t: Tensor) => {
    let p = cache.get(t);
    if (!p) {
      p = t.read().then(count);
      cache.set(t, p);
    }
    return p;
  };
  const previous = setModuleCallHook((module, method, args, run) => {
    const path = names.get(module);
    if (path === undefined || path === '') return previous ? previous(module, method, args, run) : run();
    for (const t of tensorsIn(args)) events.push({ kind: 'input', path, module, values: check(t) });
    const out = previous ? previous(module, method, args, run) : run();
    for (const t of tensorsIn(out)) events.push({ kind: 'output', path, module, values: check(t) });
    return out;
  });
  let finalReads: Promise<NonFiniteCount>[] = [];
  try {
    // Reads are encoded as each value is made, so the tensors may be freed when the scope ends.
    no_grad(() =>
      tidy(() => {
        finalReads = tensorsIn(forward()).map(check);
      }),
    );
  } finally {
    setModuleCallHook(previous);
  }
  const final = await Promise.all(finalReads);
  const state = await Promise.all(stateReads.map(async (s) => ({ name: s.name, count: await s.values })));
  const badStateUnder = (path: string) => state.filter((s) => bad(s.count) && (path === '' || s.name.startsWith(`${path}.`)));
  const inputCounts = await Promise.all(inputReads);
  const badInput = inputCounts.findIndex(bad);
  if (badInput >= 0) return { module: 'input', type: 'input', detail: `input ${badInput} of the batch has ${describeCount(inputCounts[badInput]!)}`, badState: [] };
  for (const e of events) {
    const c = await e.values;
    if (!bad(c)) continue;
    if (e.kind === 'output') {
      return { module: e.path, type: e.module._typeName, detail: `its output has ${describeCount(c)} (its inputs were finite)`, badState: badStateUnder(e.path) };
    }
    // A bad value entered this call: the code around it (its parent's forward) computed it.
    const owner = parentPath(e.path);
    const ownerModule = owner === '' ? model : model.get_submodule(owner);
    return {
      module: owner,
      type: ownerModule._typeName,
      detail: `a value computed in its forward has ${describeCount(c)} (it went into ${e.path})`,
      badState: badStateUnder(owner),
    };
  }
  const finalBad = final.find(bad);
  if (finalBad) return { module: '', type: model._typeName, detail: `the model's output has ${describeCount(finalBad)}`, badState: badStateUnder('') };
  return null;
}
