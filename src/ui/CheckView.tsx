import { useState } from 'react';
import { useApp } from './StoreContext';

/** prepare's check table (model_check_result.txt) for calibration or QAT, and check_model's verdict. */
export function CheckView() {
  const [stage, setStage] = useState<'qat' | 'calibration'>('qat');
  const analysis = useApp((s) => s.analysis.lastGood?.result ?? null);
  const checkResult = useApp((s) => s.stages.check.result);
  const [showText, setShowText] = useState(false);
  if (!analysis) return <p className="muted empty">Check the code to see what prepare makes of each node.</p>;
  const check = analysis.check[stage];
  const rows = check.rows.filter((r) => r.opcode !== 'placeholder' && r.opcode !== 'output');
  return (
    <div className="check" data-testid="check">
      <div className="segmented" role="group" aria-label="Stage">
        {(['qat', 'calibration'] as const).map((s) => (
          <button key={s} type="button" aria-pressed={stage === s} data-testid={`check.stage.${s}`} onClick={() => setStage(s)}>
            prepare for {s === 'qat' ? 'QAT' : 'calibration'}
          </button>
        ))}
        <button type="button" aria-pressed={showText} onClick={() => setShowText(!showText)}>
          as text
        </button>
      </div>
      {showText ? (
        <pre className="check-text" data-testid="check.text">
          {check.text}
        </pre>
      ) : (
        <div className="table-scroll">
          <table className="table table-compact" data-testid="check.table">
            <thead>
              <tr>
                <th>Node</th>
                <th>Type</th>
                <th>Input</th>
                <th>Weight</th>
                <th>Output</th>
                <th>Observer</th>
                <th>qconfig from</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.name} data-testid="check.row" data-node={r.name} data-output={r.output_dtype}>
                  <td className="mono">{r.name}</td>
                  <td>{r.type}</td>
                  <td>{r.input_dtypes.join(', ')}</td>
                  <td className={r.weight_dtype ? `dtype dtype-${r.weight_dtype}` : ''}>{r.weight_dtype ?? ''}</td>
                  <td className={`dtype dtype-${r.output_dtype}`}>{r.output_dtype}</td>
                  <td className="small observer" title={r.observer}>
                    {r.observer || '–'}
                  </td>
                  <td className="small">{r.qconfig_source || '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3 className="subhead">Unsupported ops</h3>
      {check.unsupported.length === 0 ? (
        <p className="muted small" data-testid="check.unsupported">
          none
        </p>
      ) : (
        <ul className="issues" data-testid="check.unsupported">
          {check.unsupported.map((u) => (
            <li key={u.name}>
              <span className="mono">{u.name}</span> ({u.type}){u.loc ? ` at ${u.loc.file}:${u.loc.line}` : ''}: {u.reason}
            </li>
          ))}
        </ul>
      )}
      {check.warnings.length > 0 && (
        <>
          <h3 className="subhead">Warnings</h3>
          <ul className="issues" data-testid="check.warnings">
            {check.warnings.map((w, i) => (
              <li key={`${w.name}-${i}`}>
                <span className="mono">{w.name}</span> ({w.type}): {w.reason}
              </li>
            ))}
          </ul>
        </>
      )}
      <h3 className="subhead">check_model</h3>
      {checkResult ? (
        <div data-testid="check.model">
          <p className={checkResult.passed ? 'ok-text' : 'error-text'}>
            {checkResult.passed
              ? `Passes the ${checkResult.march} profile`
              : `${checkResult.summary.errors} error${checkResult.summary.errors === 1 ? '' : 's'} for the ${checkResult.march} profile`}
            {` · ${checkResult.summary.ops} ops, ${checkResult.summary.macs.toLocaleString('en-US')} MACs per image, ${checkResult.summary.weight_bytes.toLocaleString('en-US')} weight bytes`}
            {checkResult.summary.warnings ? ` · ${checkResult.summary.warnings} warnings` : ''}
          </p>
          <ul className="issues">
            {checkResult.violations.map((v, i) => (
              <li key={i}>
                <span className={v.severity === 'error' ? 'error-text' : 'muted'}>{v.severity}</span> <span className="mono">{v.layer}</span> ({v.op}) — {v.message}{' '}
                <span className="muted">Fix: {v.fix}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <p className="muted small">Run the Check stage (after Convert) for the target profile's verdict.</p>
      )}
    </div>
  );
}
