/**
 * The stages: each one's record (running, its progress and live metrics, its last result and the input
 * key that result was made from, or what went wrong), and the actions that run and cancel them. What a
 * stage shows (done, stale, ...) is derived from the record and the page's current inputs (stageView),
 * so an edit marks results stale without touching them, and undoing the edit makes them current again.
 */
import type { StageName, StageProgress } from '../pipeline/types';
import { STAGE_AVAILABILITY, type Availability } from '../worker/availability';
import { CancelledError, type MetricPoint, type StageResults } from '../worker/protocol';
import { formatDiagnostic } from './analysis';
import { STAGES, STAGE_TITLES, stageKey, upstreamOf, type KeyInputs } from './stageGraph';
import type { FlatSettings } from './settings';
import type { AppState, SliceCreator } from './types';

export { STAGES } from './stageGraph';

/** What the page shows for a stage. */
export type StageState = 'idle' | 'running' | 'done' | 'stale' | 'failed' | 'unavailable';

export interface StageRecord<K extends StageName = StageName> {
  status: 'idle' | 'running' | 'done' | 'failed';
  progress: StageProgress | null;
  /** Training metrics of the run in progress (the result's history replaces them). */
  live: MetricPoint[];
  error: string | null;
  /** The last result, kept when a later run fails or is cancelled. */
  result: StageResults[K] | null;
  /** stageKey when the result's run started. */
  inputKey: string | null;
  startedAt: number | null;
}

export type StageRecords = { [K in StageName]: StageRecord<K> };

export interface PipelineSlice {
  stages: StageRecords;
  /** Which stages this build's worker can run (availability.ts). */
  availability: Readonly<Record<StageName, Availability>>;
  /** Runs one stage with the current code and settings (`settings` first become overrides). */
  runStage<K extends StageName>(stage: K, settings?: FlatSettings): Promise<StageResults[K]>;
  /** Runs every stage up to `target` whose result is not current, in order. */
  runPipeline(target: StageName): Promise<void>;
  /** Cancels the running stage; its previous result stays. */
  cancelStage(): boolean;
  stageStarted(stage: StageName): void;
  /** A progress event; `points` are the metric points since the last call (default: taken from `progress`). */
  stageProgress(progress: StageProgress, points?: MetricPoint[]): void;
  stageFinished<K extends StageName>(stage: K, result: StageResults[K], inputKey: string): void;
  stageFailed(stage: StageName, message: string): void;
  /** Puts saved records back (after a reload). */
  restoreStages(records: Partial<StageRecords>): void;
}

const MAX_LIVE_POINTS = 4000;

/** The page redraws a running stage at most this often (the worker may report more often). */
export const PROGRESS_UI_MS = 500;

function metricPoint(progress: StageProgress): MetricPoint | null {
  if (progress.loss === undefined || progress.step === undefined) return null;
  return { step: progress.step, epoch: progress.epoch ?? 0, loss: progress.loss, accuracy: progress.accuracy ?? NaN, lr: progress.lr ?? NaN };
}

/**
 * Gathers progress events and hands them on at most every `ms` (the first at once), with every metric
 * point, so a fast stage costs the page a few small renders a second.
 */
export function progressBatcher(deliver: (progress: StageProgress, points: MetricPoint[]) => void, ms = PROGRESS_UI_MS) {
  let pending: StageProgress | null = null;
  let points: MetricPoint[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = -Infinity;
  const flush = () => {
    timer = null;
    if (!pending) return;
    last = Date.now();
    const p = pending;
    const batch = points;
    pending = null;
    points = [];
    deliver(p, batch);
  };
  return {
    push(progress: StageProgress) {
      pending = progress;
      const point = metricPoint(progress);
      if (point) points.push(point);
      if (timer) return;
      const wait = last + ms - Date.now();
      if (wait <= 0) flush();
      else timer = setTimeout(flush, wait);
    },
    /** Drops what is pending (the stage ended). */
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      pending = null;
      points = [];
    },
  };
}

export function idleRecord<K extends StageName>(): StageRecord<K> {
  return { status: 'idle', progress: null, live: [], error: null, result: null, inputKey: null, startedAt: null };
}

/** Derived values per state object (zustand replaces the object on every change, so this never goes stale). */
const derived = new WeakMap<AppState, { inputs: KeyInputs; fresh: Map<StageName, boolean> }>();

function derivedOf(state: AppState) {
  let d = derived.get(state);
  if (!d) {
    d = { inputs: computeKeyInputs(state), fresh: new Map() };
    derived.set(state, d);
  }
  return d;
}

export function keyInputs(state: AppState): KeyInputs {
  return derivedOf(state).inputs;
}

function computeKeyInputs(state: AppState): KeyInputs {
  const runIds: KeyInputs['runIds'] = {};
  for (const stage of STAGES) {
    const result = state.stages[stage].result;
    if (result) runIds[stage] = result.runId;
  }
  const analysis = state.analysis.key && state.analysis.result ? { key: state.analysis.key, result: state.analysis.result } : null;
  return { files: state.files, settings: state.settings, analysis, runIds };
}

/** Whether a stage's result matches the current inputs and was built on current results. */
export function isFresh(state: AppState, stage: StageName): boolean {
  const { inputs, fresh } = derivedOf(state);
  const known = fresh.get(stage);
  if (known !== undefined) return known;
  // The stage graph has no cycles; mark first so a bad edit of it cannot recurse forever.
  fresh.set(stage, false);
  const record = state.stages[stage];
  const value =
    record.result !== null && record.inputKey === stageKey(stage, inputs) && upstreamOf(stage, state.settings).every((up) => isFresh(state, up));
  fresh.set(stage, value);
  return value;
}

export function stageView(state: AppState, stage: StageName): StageState {
  if (!state.availability[stage].available) return 'unavailable';
  const record = state.stages[stage];
  if (record.status === 'running') return 'running';
  if (record.status === 'failed') return 'failed';
  if (!record.result) return 'idle';
  return isFresh(state, stage) ? 'done' : 'stale';
}

/** Why a stage cannot start now (null when it can). */
export function blockedReason(state: AppState, stage: StageName): string | null {
  const availability = state.availability[stage];
  if (!availability.available) return `${STAGE_TITLES[stage]} is not available: ${availability.reason}`;
  const running = STAGES.find((s) => state.stages[s].status === 'running');
  if (running) return `${STAGE_TITLES[running]} is running: wait for it or cancel it first`;
  if (state.gpu.status !== 'ready') {
    const why = state.gpu.status === 'unavailable' ? state.gpu.reason : state.gpu.status === 'pending' ? 'the GPU is still opening' : state.gpu.message;
    return `${STAGE_TITLES[stage]} needs WebGPU: ${why}`;
  }
  if (state.dataset.status === 'error') return `${STAGE_TITLES[stage]} needs the dataset, which failed to load: ${state.dataset.error}`;
  return null;
}

/** Why the results a stage builds on are not usable (null when they all are current). */
export function upstreamProblem(state: AppState, stage: StageName): string | null {
  for (const up of upstreamOf(stage, state.settings)) {
    const view = stageView(state, up);
    if (view === 'done') continue;
    const what =
      view === 'stale'
        ? `${up} is stale (the code, its settings or what it built on changed since it ran)`
        : view === 'failed'
          ? `${up} failed`
          : view === 'unavailable'
            ? `${up} is not available in this build`
            : `${up} has not run`;
    return `${stage} needs a current ${up} result, and ${what}: run ${up} first`;
  }
  return null;
}

let runCounter = 0;
export function newRunId(stage: StageName): string {
  runCounter++;
  return `${stage}-${Date.now().toString(36)}-${runCounter.toString(36)}`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const createPipelineSlice: SliceCreator<PipelineSlice> = (services) => (set, get, api) => {
  const update = <K extends StageName>(stage: K, change: (record: StageRecord<K>) => StageRecord<K>) =>
    set((state) => ({ stages: { ...state.stages, [stage]: change(state.stages[stage] as StageRecord<K>) } }));

  async function waitForDataset(): Promise<void> {
    if (get().dataset.status === 'ready') return;
    if (get().dataset.status === 'idle') void get().loadDataset();
    await new Promise<void>((resolve) => {
      const off = api.subscribe((state) => {
        if (state.dataset.status !== 'loading' && state.dataset.status !== 'idle') {
          off();
          resolve();
        }
      });
    });
    if (get().dataset.status !== 'ready') throw new Error(`The dataset failed to load: ${get().dataset.error}`);
  }

  return {
    stages: Object.fromEntries(STAGES.map((stage) => [stage, idleRecord()])) as StageRecords,
    availability: services.availability ?? STAGE_AVAILABILITY,

    async runStage(stage, settings) {
      const s = get();
      if (!STAGES.includes(stage)) throw new Error(`Unknown stage ${JSON.stringify(stage)} (stages: ${STAGES.join(', ')})`);
      if (settings !== undefined) s.setStageSettings(stage, settings);
      const blocked = blockedReason(get(), stage);
      if (blocked) throw new Error(blocked);
      // Claim the stage at once, so a second Run cannot start while the code is checked.
      update(stage, (record) => ({ ...record, status: 'running', progress: null, live: [], error: null, startedAt: Date.now() }));
      const release = (status: StageRecord['status'], error: string | null) =>
        update(stage, (record) => ({ ...record, status, error, progress: null, live: [] }));
      try {
        await waitForDataset();
        const analysis = await get().checkCode();
        if (!analysis.ok) {
          const first = analysis.diagnostics[0];
          throw new Error(`The code has ${analysis.diagnostics.length === 1 ? 'an error' : `${analysis.diagnostics.length} errors`}: ${first ? formatDiagnostic(first) : 'unknown'}`);
        }
      } catch (error) {
        if (error instanceof CancelledError) {
          release(get().stages[stage].result ? 'done' : 'idle', 'cancelled');
          throw new Error(`${stage}: cancelled`);
        }
        release('failed', message(error));
        throw error instanceof Error ? error : new Error(message(error));
      }
      // The stage is 'running' here; check what it builds on as if it were not.
      const problem = upstreamProblem(get(), stage);
      if (problem) {
        // The row says why; an earlier result stays.
        release(get().stages[stage].result ? 'done' : 'idle', problem);
        throw new Error(problem);
      }
      const state = get();
      const inputs = keyInputs(state);
      const inputKey = stageKey(stage, inputs);
      const upstream: Partial<Record<StageName, string>> = {};
      for (const up of upstreamOf(stage, state.settings)) upstream[up] = inputs.runIds[up]!;
      const progress = progressBatcher((p, points) => get().stageProgress(p, points));
      try {
        const result = (await services.client.request(
          stage,
          { files: { ...state.files }, settings: structuredClone(state.settings), runId: newRunId(stage), inputs: upstream },
          { onProgress: (p) => progress.push({ ...p, stage }) },
        )) as StageResults[typeof stage];
        progress.stop();
        get().stageFinished(stage, result, inputKey);
        return result;
      } catch (error) {
        progress.stop();
        if (error instanceof CancelledError) {
          release(get().stages[stage].result ? 'done' : 'idle', 'cancelled');
          throw new Error(`${stage}: cancelled`);
        }
        get().stageFailed(stage, message(error));
        throw error instanceof Error ? error : new Error(message(error));
      }
    },

    async runPipeline(target) {
      const needed = new Set<StageName>();
      const visit = (stage: StageName) => {
        if (needed.has(stage)) return;
        needed.add(stage);
        for (const up of upstreamOf(stage, get().settings)) visit(up);
      };
      visit(target);
      for (const stage of STAGES) {
        if (!needed.has(stage)) continue;
        // The code check first: it decides whether float results are still current.
        await get().checkCode();
        if (stage !== target && stageView(get(), stage) === 'done') continue;
        await get().runStage(stage);
      }
    },

    cancelStage() {
      return services.client.cancelLane('stage');
    },

    stageStarted: (stage) => update(stage, (record) => ({ ...record, status: 'running', progress: null, live: [], error: null, startedAt: Date.now() })),

    stageProgress: (progress, points) =>
      update(progress.stage, (record) => {
        if (record.status !== 'running') return record;
        const fresh = points ?? [metricPoint(progress)].filter((p): p is MetricPoint => p !== null);
        let live = record.live;
        // Points repeat when progress is reported between metric readbacks: keep one per step.
        const added = fresh.filter((p, i) => (i === 0 ? live[live.length - 1]?.step !== p.step : fresh[i - 1]!.step !== p.step));
        if (added.length) {
          live = [...live, ...added];
          if (live.length > MAX_LIVE_POINTS) live = live.filter((_, i) => i % 2 === 0);
        }
        return { ...record, progress, live };
      }),

    stageFinished: (stage, result, inputKey) =>
      update(stage, (record) => ({ ...record, status: 'done', progress: null, live: [], error: null, result, inputKey })),

    stageFailed: (stage, error) => update(stage, (record) => ({ ...record, status: 'failed', progress: null, live: [], error })),

    restoreStages: (records) =>
      set((state) => {
        const stages = { ...state.stages };
        for (const stage of STAGES) {
          const saved = records[stage];
          // A stage that started in this page since is newer than what was saved.
          if (saved && state.stages[stage].status === 'idle' && !state.stages[stage].result) {
            (stages as Record<StageName, StageRecord>)[stage] = { ...idleRecord(), ...saved, progress: null, live: [] } as StageRecord;
          }
        }
        return { stages };
      }),
  };
};
