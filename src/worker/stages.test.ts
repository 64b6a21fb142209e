import { describe, expect, it } from 'vitest';
import { STAGES } from '../store/stageGraph';
import { STAGE_AVAILABILITY, StageUnavailableError } from './availability';
import { ArtifactStore } from './artifacts';
import { STAGE_RUNNERS, runStage } from './stages';
import { WorkerState } from './state';

describe('stage runners', () => {
  it('are available exactly where a runner is wired, and the others say why', () => {
    for (const stage of STAGES) {
      expect(STAGE_AVAILABILITY[stage].available, stage).toBe(STAGE_RUNNERS[stage] !== undefined);
      const a = STAGE_AVAILABILITY[stage];
      if (!a.available) expect(a.reason).toMatch(/not in this build/);
    }
  });

  it('rejects a stage without a runner with StageUnavailableError', async () => {
    const env = { state: new WorkerState(), artifacts: new ArtifactStore(null), signal: new AbortController().signal, progress: () => {}, transfer: () => {} };
    const request = { files: { 'model.ts': '', 'qconfig.ts': '' }, settings: {} as never, runId: 'r', inputs: {} };
    await expect(runStage('sensitivity', {}, request, env)).rejects.toBeInstanceOf(StageUnavailableError);
  });
});
