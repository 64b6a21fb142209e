import type { StageName } from '../pipeline/types';
import type { AppState } from '../store';
import { stageView, type StageState } from '../store/pipeline';
import { useDerived } from './StoreContext';
import { formatBytes, formatPercent } from './format';

interface AccuracyRow {
  id: string;
  label: string;
  /** The stage whose result gives the accuracy. */
  stage: StageName;
  accuracy: number | null;
  bytes: number | null;
  state: StageState;
  note: string;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The accuracy of each model side by side (float, calibration, QAT, fixed point), with its size. */
export function accuracyRows(s: AppState): AccuracyRow[] {
  const result = (stage: StageName) => s.stages[stage].result as unknown as Record<string, unknown> | null;
  const floatBytes = num(result('float')?.modelBytes) ?? (s.analysis.lastGood ? s.analysis.lastGood.result.floatBytes : null);
  const validation = result('validation');
  const calibrationFromValidation = validation && validation.of === 'calibration';
  return [
    {
      id: 'float',
      label: 'Float',
      stage: 'float',
      accuracy: num(result('float')?.accuracy),
      bytes: floatBytes,
      state: stageView(s, 'float'),
      note: 'float32 weights',
    },
    {
      id: 'calibration',
      label: 'Calibration (fake quant)',
      stage: calibrationFromValidation ? 'validation' : 'calibration',
      accuracy: num(calibrationFromValidation ? validation.accuracy : result('calibration')?.accuracy),
      bytes: num(result('calibration')?.modelBytes),
      state: stageView(s, calibrationFromValidation ? 'validation' : 'calibration'),
      note: 'validation of the calibrated model',
    },
    {
      id: 'qat',
      label: 'QAT (fake quant)',
      stage: 'qat',
      accuracy: num(result('qat')?.accuracy),
      bytes: num(result('qat')?.modelBytes),
      state: stageView(s, 'qat'),
      note: 'after quantization-aware training',
    },
    {
      id: 'fixed',
      label: 'Fixed point',
      stage: 'fixed',
      accuracy: num(result('fixed')?.accuracy),
      bytes: num(result('convert')?.modelBytes),
      state: stageView(s, 'fixed'),
      note: 'integer executor',
    },
  ];
}

export function AccuracyTable() {
  const rows = useDerived(accuracyRows);
  const float = rows[0]!.accuracy;
  return (
    <div className="accuracy" data-testid="accuracy">
      <table className="table">
        <thead>
          <tr>
            <th>Model</th>
            <th className="num">Test accuracy</th>
            <th className="num">Δ vs float</th>
            <th className="num">Size</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} data-testid={`accuracy.row.${row.id}`} data-state={row.state} className={row.state === 'stale' ? 'row-stale' : undefined}>
              <td title={row.note}>{row.label}</td>
              <td className="num" data-testid={`accuracy.${row.id}`}>
                {row.accuracy === null ? '–' : formatPercent(row.accuracy)}
              </td>
              <td className="num">
                {row.accuracy === null || float === null || row.id === 'float' ? '' : `${((row.accuracy - float) * 100).toFixed(2)} pt`}
              </td>
              <td className="num" title={row.bytes === null ? '' : `${row.bytes.toLocaleString('en-US')} bytes`} data-testid={`accuracy.${row.id}.bytes`}>
                {row.bytes === null ? '–' : formatBytes(row.bytes)}
              </td>
              <td className="muted small">{row.state === 'idle' ? 'not run' : row.state}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        A stale row was measured before your last change of the code or settings. Sizes: float32 parameters; fake-quant and integer models as
        their stages report them.
      </p>
    </div>
  );
}
