/**
 * The state of every pipeline stage. A stage whose inputs changed (an edit, a new setting) becomes
 * 'stale' rather than being silently reused.
 */
import type { StageName, StageProgress } from '../pipeline/types';
import type { SliceCreator } from './types';

export const STAGES: readonly StageName[] = ['float', 'calibration', 'validation', 'qat', 'convert', 'fixed', 'check', 'compile', 'sensitivity'];

export type StageState = 'idle' | 'running' | 'done' | 'stale' | 'failed';

export interface StageStatus {
  state: StageState;
  progress: StageProgress | null;
  error: string | null;
}

export interface PipelineSlice {
  stages: Record<StageName, StageStatus>;
  stageStarted(stage: StageName): void;
  stageProgress(progress: StageProgress): void;
  stageFinished(stage: StageName): void;
  stageFailed(stage: StageName, message: string): void;
  /** Marks every finished stage stale (called by edits and setting changes). */
  invalidateStages(): void;
}

const IDLE: StageStatus = { state: 'idle', progress: null, error: null };

export const createPipelineSlice: SliceCreator<PipelineSlice> = () => (set) => {
  const update = (stage: StageName, change: (status: StageStatus) => StageStatus) =>
    set((state) => ({ stages: { ...state.stages, [stage]: change(state.stages[stage]) } }));
  return {
    stages: Object.fromEntries(STAGES.map((stage) => [stage, IDLE])) as Record<StageName, StageStatus>,
    stageStarted: (stage) => update(stage, () => ({ state: 'running', progress: null, error: null })),
    stageProgress: (progress) =>
      update(progress.stage, (status) => (status.state === 'running' ? { ...status, progress } : status)),
    stageFinished: (stage) => update(stage, (status) => ({ ...status, state: 'done', error: null })),
    stageFailed: (stage, message) => update(stage, (status) => ({ ...status, state: 'failed', error: message })),
    invalidateStages: () =>
      set((state) => {
        const stale = STAGES.filter((stage) => state.stages[stage].state === 'done');
        if (stale.length === 0) return {};
        const stages = { ...state.stages };
        for (const stage of stale) stages[stage] = { ...stages[stage], state: 'stale' };
        return { stages };
      }),
  };
};
