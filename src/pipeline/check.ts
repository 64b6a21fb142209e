/**
 * The check stage: check_model(model, march) on the converted model (or on the prepared model, which
 * reports every op that has no integer version), with the report text (model_check_result.txt).
 */
import type { GraphModule } from '../graph/graph_module';
import { check_model, type CheckReport } from '../fixed/check_model';
import type { ConvertResult } from '../fixed/convert';
import type { MarchName } from '../fixed/march';
import type { StageContext } from './types';

export interface CheckSettings {
  march: MarchName;
}

export const CHECK_DEFAULTS: CheckSettings = { march: 'bayes' };

export interface CheckStageOptions {
  /** The converted model, or the prepared model (converted here, failures reported as violations). */
  model: ConvertResult | GraphModule;
  settings?: Partial<CheckSettings>;
}

export interface CheckStageResult {
  settings: CheckSettings;
  report: CheckReport;
  seconds: number;
}

export async function runCheck(ctx: Pick<StageContext, 'progress'>, options: CheckStageOptions): Promise<CheckStageResult> {
  const started = performance.now();
  const settings = { ...CHECK_DEFAULTS, ...options.settings };
  ctx.progress({ stage: 'check', fraction: 0.5, message: `check_model for ${settings.march}` });
  const report = await check_model(options.model, settings.march);
  ctx.progress({ stage: 'check', fraction: 1, message: report.passed ? 'supported' : `${report.summary.errors} error(s)` });
  return { settings, report, seconds: (performance.now() - started) / 1000 };
}
