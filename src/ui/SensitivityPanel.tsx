/**
 * The sensitivity stage's result: a bar per quantized op for the chosen metric and mode (most sensitive
 * first), the per-node table of every metric (click a header to sort), the debug tool's table as a JSON
 * download, and the mixed-precision choice with the qconfig.ts line that applies it. "Use in qconfig.ts"
 * writes the table and the sensitive-op setters (topk, or the mixed-precision choice) into qconfig.ts.
 */
import { useEffect, useMemo, useState } from 'react';
import type { SensitivityReport } from '../pipeline/sensitivity';
import { SENSITIVITY_METRICS, type SensitivityMetric, type SensitivityMode } from '../quant/sensitivity';
import {
  SENSITIVITY_COLUMNS,
  formatMetric,
  int16Effect,
  rowsInTableOrder,
  sensitivityBars,
  sensitivityDownload,
  sensitivityRows,
  sensitivityTableRows,
  sortRows,
  type SensitivityColumn,
  type SensitivityViewRow,
} from './sensitivityData';
import { applySensitiveOpsToQconfig, type SensitivityTableRow } from './qconfigEdit';
import { useApp } from './StoreContext';

const MODES: readonly { mode: SensitivityMode; label: string }[] = [
  { mode: 'only', label: 'only this op quantized' },
  { mode: 'all_but', label: 'all but this op quantized' },
];

function cell(row: SensitivityViewRow, key: SensitivityColumn): string {
  const v = row[key];
  if (typeof v === 'string') return v;
  if (key.endsWith('accuracy')) return formatMetric('accuracy', v);
  if (key.endsWith('L1')) return formatMetric('L1', v);
  return formatMetric('SQNR', v);
}

function BarChart({ report, metric, mode }: { report: SensitivityReport; metric: SensitivityMetric; mode: SensitivityMode }) {
  const bars = sensitivityBars(report, metric, mode);
  const rowHeight = 22;
  const labelWidth = 160;
  const width = 520;
  const barWidth = width - labelWidth - 90;
  return (
    <svg
      className="sensitivity-chart"
      data-testid="sensitivity.chart"
      width={width}
      height={bars.length * rowHeight + 4}
      viewBox={`0 0 ${width} ${bars.length * rowHeight + 4}`}
      role="img"
      aria-label={`Sensitivity by ${metric} (${mode}), most sensitive first`}
    >
      {bars.map((b, i) => (
        <g key={b.node} transform={`translate(0, ${i * rowHeight + 2})`} data-testid="sensitivity.bar" data-node={b.node}>
          <title>{`${b.node} (${b.type}): ${b.label}`}</title>
          <text x={labelWidth - 6} y={rowHeight * 0.65} textAnchor="end" fontSize="12" fontFamily="monospace" fill="currentColor">
            {b.node}
          </text>
          <rect x={labelWidth} y={3} width={Math.max(1, b.length * barWidth)} height={rowHeight - 6} fill={i === 0 ? '#d9534f' : '#5b8def'} />
          <text x={labelWidth + b.length * barWidth + 6} y={rowHeight * 0.65} fontSize="11" fill="currentColor">
            {b.label}
          </text>
        </g>
      ))}
    </svg>
  );
}

/** Ops whose output the check table shows as int32 (the final conv/linear with high_precision_output). */
function useInt32Outputs(): ReadonlySet<string> {
  const rows = useApp((s) => s.analysis.lastGood?.result.check.calibration.rows ?? null);
  return useMemo(() => new Set((rows ?? []).filter((r) => r.output_dtype === 'qint32').map((r) => r.name)), [rows]);
}

/** Writes int16 for `rows` (most sensitive first, the first `topk` of them) into qconfig.ts; says what it did or what went wrong. */
function useQconfigWriter() {
  const qconfig = useApp((s) => s.files['qconfig.ts']);
  const int32Outputs = useInt32Outputs();
  const setSource = useApp((s) => s.setSource);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const write = (rows: readonly SensitivityTableRow[], topk: number, origin: string) => {
    try {
      setSource('qconfig.ts', applySensitiveOpsToQconfig(qconfig, rows, topk, origin));
      const { changed, unchanged } = int16Effect(rows, topk, int32Outputs);
      const kept = unchanged.length ? ` ${unchanged.join(', ')} ${unchanged.length > 1 ? 'keep their' : 'keeps its'} int32 output (high_precision_output): int16 activations do not apply.` : '';
      setMessage({
        ok: true,
        text:
          topk === 0
            ? 'qconfig.ts has no sensitive-op setters now: every op is int8 again.'
            : changed.length
              ? `qconfig.ts now gives ${changed.join(', ')} int16 activations in calibration and QAT (see the Check tab); run Calibration again.${kept}`
              : `qconfig.ts has the setters, but they change nothing:${kept} Raise topk.`,
      });
    } catch (error) {
      setMessage({ ok: false, text: error instanceof Error ? error.message : String(error) });
    }
  };
  return { write, message };
}

export function SensitivityPanel({ report }: { report: SensitivityReport }) {
  const [metric, setMetric] = useState<SensitivityMetric>(report.settings.metric);
  const [mode, setMode] = useState<SensitivityMode>(report.settings.mode);
  const [sort, setSort] = useState<{ key: SensitivityColumn; descending: boolean } | null>(null);
  const rows = useMemo(() => sensitivityRows(report), [report]);
  // Until a header is clicked, the rows follow the chosen table: most sensitive first, as the bars.
  const sorted = sort ? sortRows(rows, sort.key, sort.descending) : rowsInTableOrder(rows, report, metric, mode);
  const tableRows = sensitivityTableRows(report, metric, mode);
  const [topk, setTopk] = useState(1);
  const writer = useQconfigWriter();
  const int32Outputs = useInt32Outputs();
  const metrics = SENSITIVITY_METRICS.filter((m) => report.tables.some((t) => t.metric === m));
  const modes = MODES.filter((m) => report.tables.some((t) => t.mode === m.mode));
  const download = sensitivityDownload(report, metric, mode);
  const text = download?.text ?? null;
  const href = useMemo(() => (text === null ? null : URL.createObjectURL(new Blob([text], { type: 'application/json' }))), [text]);
  useEffect(() => () => void (href && URL.revokeObjectURL(href)), [href]);
  const mixed = report.mixed;

  return (
    <div className="sensitivity" data-testid="sensitivity.panel">
      <p className="muted small">
        {report.images} test images; float accuracy {formatMetric('accuracy', report.float_accuracy)}, every op quantized{' '}
        {formatMetric('accuracy', report.all_quantized.accuracy)} (output SQNR {formatMetric('SQNR', report.all_quantized.SQNR)}).
      </p>
      <div className="toolbar">
        <label>
          Metric{' '}
          <select value={metric} onChange={(e) => {
              setMetric(e.target.value as SensitivityMetric);
              setSort(null);
            }} data-testid="sensitivity.metric">
            {metrics.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          Mode{' '}
          <select value={mode} onChange={(e) => {
              setMode(e.target.value as SensitivityMode);
              setSort(null);
            }} data-testid="sensitivity.mode">
            {modes.map((m) => (
              <option key={m.mode} value={m.mode}>
                {m.label}
              </option>
            ))}
          </select>
        </label>{' '}
        {download && href && (
          <a className="button" href={href} download={download.name} data-testid="sensitivity.download" title="[node, type, value] rows, most sensitive first: sensitive_op_*_qconfig_setter(table, {topk}) takes it as it is">
            Download {download.name}
          </a>
        )}
      </div>
      <BarChart report={report} metric={metric} mode={mode} />
      <div className="toolbar" data-testid="sensitivity.use">
        <label>
          int16 for the top{' '}
          <input
            type="number"
            min={0}
            max={tableRows.length}
            value={topk}
            onChange={(e) => setTopk(Math.max(0, Math.min(tableRows.length, Math.round(Number(e.target.value) || 0))))}
            data-testid="sensitivity.topk"
            style={{ width: '4em' }}
          />{' '}
          ops
        </label>{' '}
        <button
          type="button"
          className="button"
          data-testid="sensitivity.apply"
          disabled={tableRows.length === 0}
          title="Writes this table into qconfig.ts with sensitive_op_calibration/qat_8bit_weight_16bit_act_qconfig_setter(sensitivity_table, { topk }) in front of each stage's setters"
          onClick={() => writer.write(tableRows, topk, download?.name ?? `${metric} ${mode} table`)}
        >
          Use in qconfig.ts
        </button>
      </div>
      {writer.message && (
        <p className={`small ${writer.message.ok ? 'muted' : 'stage-error'}`} role={writer.message.ok ? 'status' : 'alert'} data-testid="sensitivity.apply.message">
          {writer.message.text}
        </p>
      )}
      <div className="table-scroll">
        <table className="table table-compact" data-testid="sensitivity.table">
          <thead>
            <tr>
              {SENSITIVITY_COLUMNS.map((c) => (
                <th
                  key={c.key}
                  title={c.title}
                  className={c.key === 'node' || c.key === 'type' ? '' : 'num'}
                  aria-sort={sort?.key === c.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}
                  onClick={() => setSort((s) => ({ key: c.key, descending: s?.key === c.key ? !s.descending : c.key !== 'node' && c.key !== 'type' }))}
                  style={{ cursor: 'pointer' }}
                  data-testid={`sensitivity.sort.${c.key}`}
                >
                  {c.label}
                  {sort?.key === c.key ? (sort.descending ? ' ▼' : ' ▲') : ''}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sorted.map((row) => (
              <tr key={row.node} data-testid="sensitivity.row" data-node={row.node} className={row.int16 ? 'int16' : ''}>
                {SENSITIVITY_COLUMNS.map((c) => (
                  <td key={c.key} className={c.key === 'node' ? 'mono' : c.key === 'type' ? '' : 'num'}>
                    {cell(row, c.key)}
                    {c.key === 'node' && row.int16 ? ' (int16)' : ''}
                    {c.key === 'node' && int32Outputs.has(row.node) ? (
                      <span className="muted small" title="The final op keeps its int32 output (high_precision_output): int16 activations do not apply to it">
                        {' '}
                        (int32 out)
                      </span>
                    ) : null}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {report.fixed && !report.fixed.available && <p className="muted small">Fixed-point SQNR not measured: {report.fixed.reason}</p>}
      {mixed && (
        <div className="mixed-precision" data-testid="sensitivity.mixed">
          <h4>Mixed precision</h4>
          <p>
            {mixed.reached ? 'Within' : 'Not within'} {formatMetric('accuracy', report.settings.target)} of float with{' '}
            {mixed.int16.length ? (
              <>
                int16 activations for <span className="mono">{mixed.int16.join(', ')}</span>
              </>
            ) : (
              'all ops int8'
            )}
            : {mixed.chosen.measured_on === 'fixed' ? 'fixed-point' : 'fake-quant'} accuracy {formatMetric('accuracy', mixed.baseline.accuracy)} (all int8) →{' '}
            {formatMetric('accuracy', mixed.chosen.accuracy)}; activations +{mixed.cost.activation_bytes} bytes per image (
            {mixed.chosen.size.activation_bytes} in all), weights {mixed.chosen.size.weight_bytes} bytes. {mixed.candidates.length} candidates measured.
          </p>
          {mixed.chosen.note && <p className="muted small">{mixed.chosen.note}</p>}
          <pre className="mono small" data-testid="sensitivity.setter">
            {mixed.setter_code}
          </pre>
          <button
            type="button"
            className="button"
            data-testid="sensitivity.mixed.apply"
            onClick={() => {
              const chosen = report.table.filter((r) => mixed.int16.includes(r[0])).map((r): SensitivityTableRow => [r[0], r[1], r[2]]);
              writer.write(chosen, chosen.length, `mixed-precision choice from output_0_${report.settings.metric}_${report.settings.mode}_sensitive_ops.json`);
            }}
          >
            Use this choice in qconfig.ts
          </button>
        </div>
      )}
    </div>
  );
}
