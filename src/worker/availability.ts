/**
 * Which stages the worker can run in this build, and for the others why not. The page shows a stage
 * without a backend as unavailable with this reason (its Run button is off), and `run(stage)` rejects
 * with it; nothing is faked. A stage becomes available when its function in src/pipeline/ is wired into
 * the worker (handlers.ts).
 */
import type { StageName } from '../pipeline/types';

export type Availability = { available: true } | { available: false; reason: string };

export const STAGE_AVAILABILITY: Readonly<Record<StageName, Availability>> = {
  float: { available: true },
  calibration: { available: true },
  validation: { available: true },
  qat: { available: true },
  convert: { available: true },
  fixed: { available: true },
  check: { available: true },
  compile: { available: true },
  sensitivity: { available: true },
};

export class StageUnavailableError extends Error {
  constructor(stage: StageName) {
    const availability = STAGE_AVAILABILITY[stage];
    super(`${stage}: ${availability.available ? 'available' : availability.reason}`);
    this.name = 'StageUnavailableError';
  }
}
