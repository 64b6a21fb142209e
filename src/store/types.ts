/**
 * The app's one store, built from typed slices. Each slice owns its state and its actions; buttons,
 * keyboard shortcuts and `window.qatPlayground` all call the same actions.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { StageName } from '../pipeline/types';
import type { Availability } from '../worker/availability';
import type { WorkerClient } from '../worker/client';
import type { AnalysisSlice } from './analysis';
import type { CodeSlice } from './code';
import type { DatasetSlice } from './dataset';
import type { GpuSlice } from './gpu';
import type { InspectSlice } from './inspect';
import type { NoticesSlice } from './notices';
import type { PipelineSlice } from './pipeline';
import type { SettingsSlice } from './settings';

export type AppState = CodeSlice & GpuSlice & DatasetSlice & SettingsSlice & AnalysisSlice & PipelineSlice & NoticesSlice & InspectSlice;

/** What the actions reach outside the store (a fake in unit tests). */
export interface AppServices {
  client: Pick<WorkerClient, 'request' | 'cancelLane' | 'onEvent'>;
  /** Absolute URL of the dataset folder (the worker resolves nothing against the page). */
  datasetUrl: string;
  samplesPerClass: number;
  /** Which stages the worker can run (default: availability.ts; tests give their own). */
  availability?: Readonly<Record<StageName, Availability>>;
}

export type SliceCreator<T> = (services: AppServices) => StateCreator<AppState, [], [], T>;
