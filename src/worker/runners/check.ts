/**
 * The check stage in the worker: check_model(converted, march), with the per-layer table of the integer
 * model (dtypes, scale(s), zero point) and the violations, each with how to fix it.
 */
import { runCheck } from '../../pipeline/check';
import { integerLayers } from '../../pipeline/convert';
import { resolveGroup } from '../resolveSettings';
import type { CheckStageResult, LayerRow } from '../results';
import type { StageRunner } from '../stages';
import { elapsedSince, stageContext } from './common';
import { convertArtifact } from './integerArtifacts';

export const runCheckStage: StageRunner<'check'> = async (request, env) => {
  const started = performance.now();
  const settings = resolveGroup('check', request.settings);
  const artifact = await convertArtifact(env, request);
  const { report } = await runCheck(stageContext(env), { model: artifact.converted, settings: { march: settings.march } });
  await env.artifacts.put('check', request.runId, report);
  const integer = new Map(integerLayers(artifact.converted.model).map((l) => [l.name, l]));
  const layers: LayerRow[] = report.layers.map((l) => {
    const i = integer.get(l.name);
    return {
      name: l.name,
      type: l.op,
      dtype: l.output_dtype,
      weightDtype: l.weight_dtype,
      scale: i?.scale ?? [],
      zeroPoint: i ? [i.zeroPoint] : [],
      observer: '',
      sqnr: null,
      maxLsb: null,
    };
  });
  const out: CheckStageResult = {
    runId: request.runId,
    seconds: elapsedSince(started),
    settings: { ...settings },
    march: report.march,
    layers,
    violations: report.violations,
    passed: report.passed,
    summary: report.summary,
    report: report.text,
  };
  return out;
};
