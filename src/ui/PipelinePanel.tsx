import { useState } from 'react';
import type { StageName } from '../pipeline/types';
import { blockedReason, stageView, upstreamProblem, type StageState } from '../store/pipeline';
import { stageGroup } from '../store/settings';
import { STAGE_TITLES } from '../store/stageGraph';
import type { AnyStageResult, StageProgress } from '../worker/results';
import { ProgressBar } from './ProgressBar';
import { SettingsForm } from './SettingsForm';
import { useApp, useAppStore } from './StoreContext';
import { formatBytes, formatDuration, formatPercent } from './format';

/** The journey in the order a person takes it; sensitivity (issue 8) comes last. */
const PANEL_STAGES: readonly StageName[] = ['float', 'calibration', 'validation', 'qat', 'convert', 'fixed', 'check', 'compile', 'sensitivity'];

const STATE_LABELS: Record<StageState, string> = {
  idle: 'not run',
  running: 'running',
  done: 'done',
  stale: 'stale',
  failed: 'failed',
  unavailable: 'unavailable',
};

const STAGE_HELP: Record<StageName, string> = {
  float: 'Trains the float model (model.ts) on Fashion-MNIST.',
  calibration: 'prepare → set_fake_quantize(CALIBRATION): observers see batches of the float model and fix scales.',
  validation: 'set_fake_quantize(VALIDATION): test accuracy of the calibrated fake-quant model.',
  qat: 'set_fake_quantize(QAT): trains with fake quantization from the calibration checkpoint.',
  convert: 'convert(): integer weights, int32 biases, requantization multipliers and shifts.',
  fixed: 'Test accuracy of the integer model on the WebGPU integer executor.',
  check: 'check_model(model, march): what the target supports, layer by layer.',
  compile: 'compile_model(): the compiled model, ONNX, a PyTorch script and the check report.',
  sensitivity: 'Which layers quantization hurts most (issue 8).',
};

/** One line about a result: accuracy, speed, size. */
export function resultSummary(stage: StageName, result: AnyStageResult): string {
  const r = result as unknown as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof r.accuracy === 'number') parts.push(`${formatPercent(r.accuracy)} test accuracy`);
  if (stage === 'calibration' && typeof r.batches === 'number') parts.push(`${r.batches} batches`);
  if (typeof r.imagesPerSecond === 'number') parts.push(`${Math.round(r.imagesPerSecond)} img/s`);
  if (stage === 'convert' && typeof r.modelBytes === 'number') parts.push(`${formatBytes(r.modelBytes)} integer model`);
  if (stage === 'check' && typeof r.passed === 'boolean') {
    const violations = (r.violations as unknown[] | undefined)?.length ?? 0;
    parts.push(r.passed ? 'passed' : `${violations} violation${violations === 1 ? '' : 's'}`);
  }
  if (stage === 'compile' && Array.isArray(r.files)) parts.push(`${r.files.length} files`);
  if (typeof r.seconds === 'number') parts.push(formatDuration(r.seconds));
  return parts.join(' · ');
}

export function progressLine(p: StageProgress): string {
  const parts: string[] = [];
  if (p.message) parts.push(p.message);
  if (p.epoch !== undefined) parts.push(`epoch ${p.epoch + 1}`);
  if (p.step !== undefined) parts.push(p.totalSteps ? `step ${p.step}/${p.totalSteps}` : `step ${p.step}`);
  if (p.imagesPerSecond !== undefined) parts.push(`${Math.round(p.imagesPerSecond)} img/s`);
  if (p.etaSeconds !== undefined) parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(3)}`);
  return parts.join(' · ');
}

function StageRow({ stage }: { stage: StageName }) {
  const store = useAppStore();
  const view = useApp((s) => stageView(s, stage));
  const record = useApp((s) => s.stages[stage]);
  const blocked = useApp((s) => (view === 'running' ? null : blockedReason(s, stage) ?? upstreamProblem(s, stage)));
  const availability = useApp((s) => s.availability[stage]);
  const [open, setOpen] = useState(false);
  const group = stageGroup(stage);
  const run = () => {
    store
      .getState()
      .runStage(stage)
      .catch(() => {
        // The row shows the error; nothing else to do here.
      });
  };
  return (
    <li className={`stage stage-${view}`} data-testid={`stage.${stage}`} data-state={view}>
      <div className="stage-head">
        <span className="stage-dot" aria-hidden="true" />
        <span className="stage-title" title={STAGE_HELP[stage]}>
          {STAGE_TITLES[stage]}
        </span>
        <span className={`badge badge-stage-${view}`} data-testid={`stage.${stage}.state`}>
          {STATE_LABELS[view]}
        </span>
        <span
          className="stage-summary small"
          data-testid={view === 'running' ? `stage.${stage}.progress.text` : record.result ? `stage.${stage}.summary` : undefined}
        >
          {view === 'running'
            ? record.progress
              ? progressLine(record.progress)
              : 'starting…'
            : record.result
              ? `${view === 'stale' ? 'before your last change · ' : ''}${resultSummary(stage, record.result)}`
              : ''}
        </span>
        <span className="stage-actions">
          {group && availability.available && (
            <button
              type="button"
              className={`icon-button${open ? ' icon-button-on' : ''}`}
              data-testid={`stage.${stage}.settings`}
              aria-expanded={open}
              title={`${STAGE_TITLES[stage]} settings`}
              onClick={() => setOpen(!open)}
            >
              ⚙
            </button>
          )}
          {view === 'running' ? (
            <button type="button" className="button button-small" data-testid={`stage.${stage}.cancel`} onClick={() => store.getState().cancelStage()}>
              Cancel
            </button>
          ) : (
            <button
              type="button"
              className="button button-small button-primary"
              data-testid={`stage.${stage}.run`}
              disabled={!availability.available}
              title={blocked ?? `Run ${STAGE_TITLES[stage]}`}
              onClick={run}
            >
              Run
            </button>
          )}
        </span>
      </div>
      {!availability.available && (
        <p className="stage-note muted small" data-testid={`stage.${stage}.reason`}>
          Not available: {availability.reason}.
        </p>
      )}
      {view === 'running' && (
        <div className="stage-progress">
          <ProgressBar value={record.progress?.fraction ?? 0} max={1} label={`${STAGE_TITLES[stage]} progress`} testId={`stage.${stage}.progress`} />
        </div>
      )}
      {record.error && view !== 'running' && (
        <p className={`stage-error small${record.error === 'cancelled' ? ' muted' : ''}`} role={record.error === 'cancelled' ? undefined : 'alert'} data-testid={`stage.${stage}.error`}>
          {record.error === 'cancelled' ? 'Cancelled; the previous result stays.' : record.error}
        </p>
      )}
      {open && group && availability.available && (
        <div className="stage-settings">
          <SettingsForm group={group} />
        </div>
      )}
    </li>
  );
}

export function PipelinePanel() {
  const store = useAppStore();
  const analysis = useApp((s) => s.analysis.status);
  const running = useApp((s) => PANEL_STAGES.some((stage) => s.stages[stage].status === 'running'));
  const anyAvailable = useApp((s) => PANEL_STAGES.some((stage) => s.availability[stage].available));
  const lastAvailable = useApp((s) => [...PANEL_STAGES].reverse().find((stage) => s.availability[stage].available && stage !== 'sensitivity'));
  return (
    <section className="card pipeline" data-testid="pipeline" aria-labelledby="pipeline-title">
      <header className="card-header">
        <h2 id="pipeline-title">Pipeline</h2>
        <span className="pipeline-actions">
          <button
            type="button"
            className="button button-small"
            data-testid="pipeline.check"
            disabled={analysis === 'running'}
            title="Evaluate model.ts and qconfig.ts, trace, fuse and prepare (Ctrl+Shift+Enter)"
            onClick={() => void store.getState().checkCode({ force: true }).catch(() => {})}
          >
            {analysis === 'running' ? 'Checking…' : 'Check code'}
          </button>
          <button
            type="button"
            className="button button-small button-primary"
            data-testid="pipeline.run-all"
            disabled={running || !anyAvailable || !lastAvailable}
            title={lastAvailable ? `Run every stage up to ${STAGE_TITLES[lastAvailable]} that is not current` : 'No stage is available in this build'}
            onClick={() => lastAvailable && void store.getState().runPipeline(lastAvailable).catch(() => {})}
          >
            Run all
          </button>
        </span>
      </header>
      <details className="data-settings" open>
        <summary>Data (all stages)</summary>
        <SettingsForm group="data" />
      </details>
      <ol className="stages">
        {PANEL_STAGES.map((stage) => (
          <StageRow key={stage} stage={stage} />
        ))}
      </ol>
    </section>
  );
}
