/**
 * What stages hand to later stages (trained weights, calibration and QAT checkpoints, the integer
 * model), by stage and run id. Kept in memory and in IndexedDB, so after a reload a later stage still
 * finds the checkpoint of the run the page shows. Values are plain data (typed arrays, numbers, strings).
 */
import type { StageName } from '../pipeline/types';

export interface Artifact<T = unknown> {
  stage: StageName;
  runId: string;
  value: T;
}

/** The part of idb-keyval the store uses (a Map-backed fake in unit tests). */
export interface KeyValueStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

export class MissingArtifactError extends Error {
  constructor(stage: StageName, runId: string) {
    super(`The ${stage} result this needs (run ${runId}) is no longer kept: run ${stage} again`);
    this.name = 'MissingArtifactError';
  }
}

const key = (stage: StageName, runId: string) => `artifact:${stage}:${runId}`;

export class ArtifactStore {
  private readonly memory = new Map<string, Artifact>();

  /**
   * @param kv where artifacts outlive the worker (null: memory only)
   * @param keepPerStage runs kept per stage; older ones are deleted when a new one is put
   */
  constructor(
    private readonly kv: KeyValueStore | null,
    private readonly keepPerStage = 3,
  ) {}

  async put<T>(stage: StageName, runId: string, value: T): Promise<void> {
    const artifact: Artifact<T> = { stage, runId, value };
    this.memory.set(key(stage, runId), artifact);
    if (this.kv) {
      await this.kv.set(key(stage, runId), { ...artifact, savedAt: Date.now() });
      await this.prune(stage);
    }
    // Memory holds the newest run of each stage only; the store has the others.
    for (const k of [...this.memory.keys()]) {
      const a = this.memory.get(k)!;
      if (a.stage === stage && a.runId !== runId) this.memory.delete(k);
    }
  }

  async get<T>(stage: StageName, runId: string): Promise<T> {
    const k = key(stage, runId);
    const inMemory = this.memory.get(k);
    if (inMemory) return inMemory.value as T;
    const stored = this.kv ? ((await this.kv.get(k)) as Artifact<T> | undefined) : undefined;
    if (!stored) throw new MissingArtifactError(stage, runId);
    this.memory.set(k, stored);
    return stored.value;
  }

  async has(stage: StageName, runId: string): Promise<boolean> {
    if (this.memory.has(key(stage, runId))) return true;
    return this.kv ? (await this.kv.get(key(stage, runId))) !== undefined : false;
  }

  private async prune(stage: StageName): Promise<void> {
    if (!this.kv) return;
    const prefix = `artifact:${stage}:`;
    const ours = (await this.kv.keys()).filter((k) => k.startsWith(prefix));
    if (ours.length <= this.keepPerStage) return;
    const dated = await Promise.all(ours.map(async (k) => ({ k, savedAt: ((await this.kv!.get(k)) as { savedAt?: number } | undefined)?.savedAt ?? 0 })));
    dated.sort((a, b) => b.savedAt - a.savedAt);
    for (const { k } of dated.slice(this.keepPerStage)) await this.kv.del(k);
  }
}

/** A Map-backed KeyValueStore (tests, and browsers without IndexedDB). */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly map = new Map<string, unknown>();
  async get(k: string) {
    return this.map.get(k);
  }
  async set(k: string, value: unknown) {
    this.map.set(k, structuredClone(value));
  }
  async del(k: string) {
    this.map.delete(k);
  }
  async keys() {
    return [...this.map.keys()];
  }
}
