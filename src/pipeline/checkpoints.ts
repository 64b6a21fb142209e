/**
 * Checkpoints: a model's state_dict (parameters, BN statistics, observer and fake-quant state) read back
 * as plain typed arrays, and where they are kept — IndexedDB in the page (idb-keyval), a Map in tests,
 * files on disk in Node scripts (checkpoints_node.ts). As Horizon's flow saves "calib-checkpoint.ckpt"
 * and loads it into the QAT model, the calibration stage saves one and the QAT stage loads it.
 *
 * A checkpoint is plain data (structured-cloneable: it goes through postMessage and IndexedDB as is).
 */
import { createStore, del as idbDel, get as idbGet, keys as idbKeys, set as idbSet } from 'idb-keyval';
import type { DType, HostArray } from '../engine/tensor';
import type { Module } from '../nn/module';

export type CheckpointKind = 'float' | 'calibration' | 'qat';

export interface CheckpointTensor {
  shape: number[];
  dtype: DType;
  data: HostArray;
}

export interface Checkpoint {
  /** Format version (bumped if the layout changes). */
  version: 1;
  kind: CheckpointKind;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** state_dict by dotted name, in the model's order. */
  tensors: Record<string, CheckpointTensor>;
  /** Anything the stage wants to keep with it (settings, accuracy). */
  meta: Record<string, unknown>;
}

/** Reads a model's state_dict back from the GPU into a checkpoint (copies: later training does not change it). */
export async function checkpointOf(model: Module, kind: CheckpointKind, meta: Record<string, unknown> = {}): Promise<Checkpoint> {
  const entries = [...model.state_dict()];
  const values = await Promise.all(entries.map(([, t]) => t.read()));
  const tensors: Record<string, CheckpointTensor> = {};
  entries.forEach(([name, t], i) => {
    tensors[name] = { shape: [...t.shape], dtype: t.dtype, data: values[i]!.slice() };
  });
  return { version: 1, kind, createdAt: Date.now(), tensors, meta };
}

/** The checkpoint as a state dict for `load_state_dict` (names to typed arrays). */
export function stateDictOf(checkpoint: Checkpoint): Map<string, HostArray> {
  return new Map(Object.entries(checkpoint.tensors).map(([name, t]) => [name, t.data]));
}

export interface LoadReport {
  /** Keys the model has and the checkpoint does not (left as they were). */
  missing: string[];
  /** Keys of the checkpoint the model does not have (ignored). */
  unexpected: string[];
}

/**
 * Loads a checkpoint into a model. Every parameter and every fake quantizer's scale/zero_point must be
 * found (that is what carries calibration into QAT); observer-internal state may differ between the
 * stages' observers (a calibration histogram has no counterpart in a QAT MinMaxObserver) and is reported.
 */
export function loadCheckpoint(model: Module, checkpoint: Checkpoint, what = `${checkpoint.kind} checkpoint`): LoadReport {
  const own = model.state_dict();
  const paramNames = new Set([...model.named_parameters()].map(([n]) => n));
  const missing = [...own.keys()].filter((k) => !(k in checkpoint.tensors));
  const unexpected = Object.keys(checkpoint.tensors).filter((k) => !own.has(k));
  const essential = missing.filter((k) => paramNames.has(k) || /(^|\.)(scale|zero_point)$/.test(k) || /(^|\.)running_(mean|var)$/.test(k));
  if (essential.length) {
    const hint = unexpected.length ? ` The checkpoint has instead: ${unexpected.slice(0, 8).join(', ')}${unexpected.length > 8 ? ', ...' : ''}.` : '';
    throw new Error(
      `load ${what}: the model has ${essential.join(', ')}, which the checkpoint lacks.${hint} ` +
        'Was it saved from a model prepared from the same model.ts (and the same fusions)?',
    );
  }
  const known = new Map([...stateDictOf(checkpoint)].filter(([k]) => own.has(k)));
  model.load_state_dict(known, false);
  return { missing, unexpected };
}

/** Where checkpoints are kept, by key (e.g. `calibration:<runId>`). */
export interface CheckpointStore {
  save(key: string, checkpoint: Checkpoint): Promise<void>;
  /** The checkpoint, or null when there is none under this key. */
  load(key: string): Promise<Checkpoint | null>;
  delete(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

/** In memory (unit tests; a page without IndexedDB). Stores copies, as IndexedDB does. */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly map = new Map<string, Checkpoint>();

  async save(key: string, checkpoint: Checkpoint): Promise<void> {
    this.map.set(key, structuredClone(checkpoint));
  }

  async load(key: string): Promise<Checkpoint | null> {
    const c = this.map.get(key);
    return c ? structuredClone(c) : null;
  }

  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }

  async keys(): Promise<string[]> {
    return [...this.map.keys()];
  }
}

/** The part of idb-keyval a store needs (so the IndexedDB store's logic runs in Node tests on a fake). */
export interface KeyValueBackend {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

function isCheckpoint(value: unknown): value is Checkpoint {
  return !!value && typeof value === 'object' && (value as Checkpoint).version === 1 && typeof (value as Checkpoint).tensors === 'object';
}

/** Checkpoints in a key-value store: IndexedDB through idb-keyval in the page. */
export class KeyValueCheckpointStore implements CheckpointStore {
  constructor(
    private readonly backend: KeyValueBackend,
    private readonly prefix = 'checkpoint:',
  ) {}

  async save(key: string, checkpoint: Checkpoint): Promise<void> {
    await this.backend.set(this.prefix + key, checkpoint);
  }

  async load(key: string): Promise<Checkpoint | null> {
    const value = await this.backend.get(this.prefix + key);
    if (value === undefined) return null;
    if (!isCheckpoint(value)) throw new Error(`checkpoint '${key}': the stored value is not a checkpoint (an older format?); run the stage again`);
    return value;
  }

  async delete(key: string): Promise<void> {
    await this.backend.del(this.prefix + key);
  }

  async keys(): Promise<string[]> {
    const all = await this.backend.keys();
    return all.filter((k) => k.startsWith(this.prefix)).map((k) => k.slice(this.prefix.length));
  }
}

/** The page's store: IndexedDB database `qat-playground-checkpoints` (one object store). */
export function indexedDbCheckpointStore(dbName = 'qat-playground-checkpoints'): CheckpointStore {
  const store = createStore(dbName, 'checkpoints');
  return new KeyValueCheckpointStore({
    get: (k) => idbGet(k, store),
    set: (k, v) => idbSet(k, v, store),
    del: (k) => idbDel(k, store),
    keys: async () => (await idbKeys(store)).map(String),
  });
}
