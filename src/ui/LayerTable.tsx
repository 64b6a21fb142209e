import type { AppState } from '../store';
import type { LayerComparison, LayerQuantization } from '../worker/results';
import { buildLayerRows, formatScales, formatZeroPoints } from './layerRows';
import { useDerived } from './StoreContext';

function layersOf(result: unknown): LayerQuantization[] | null {
  const layers = (result as { layers?: unknown } | null)?.layers;
  return Array.isArray(layers) && layers.length ? (layers as LayerQuantization[]) : null;
}

/** SQNR per node from the sensitivity stage's per-layer analysis (activation vs float; fixed point vs float). */
function sensitivitySqnr(s: AppState): { fake: LayerComparison[] | null; fixed: LayerComparison[] | null } {
  const layers = s.stages.sensitivity.result?.report.layers;
  if (!layers) return { fake: null, fixed: null };
  return {
    fake: layers.filter((l) => l.activation_sqnr !== null).map((l) => ({ name: l.node, sqnr: l.activation_sqnr! })),
    fixed: layers.filter((l) => l.fixed_sqnr !== null).map((l) => ({ name: l.node, sqnr: l.fixed_sqnr! })),
  };
}

function selectRows(s: AppState) {
  const check = s.analysis.lastGood?.result.check.qat.rows ?? null;
  const quantization = layersOf(s.stages.qat.result) ?? layersOf(s.stages.calibration.result);
  const fromSensitivity = sensitivitySqnr(s);
  return buildLayerRows({
    check,
    quantization,
    validation: (layersOf(s.stages.validation.result) as LayerComparison[] | null) ?? fromSensitivity.fake,
    fixed: (layersOf(s.stages.fixed.result) as LayerComparison[] | null) ?? fromSensitivity.fixed,
  });
}

/** `FakeQuantize(MovingAverageMinMaxObserver, qint8)` → `MovingAverageMinMax` (the full text is the cell's title). */
function shortObserver(observer: string): string {
  const m = /\(([A-Za-z]+?)(Observer)?[,)]/.exec(observer);
  return m ? m[1]! : observer;
}

export function LayerTable() {
  const rows = useDerived(selectRows);
  const source = useDerived((s) => (layersOf(s.stages.qat.result) ? 'QAT' : layersOf(s.stages.calibration.result) ? 'calibration' : null));
  if (rows.length === 0) {
    return <p className="muted empty">Check the code (or run a stage) to see the model's layers.</p>;
  }
  return (
    <div className="layers">
      <p className="muted small">
        Scales and zero points {source ? `from ${source}` : 'appear after calibration'}; SQNR of each layer's output against float after
        sensitivity analysis or fixed-point evaluation; the LSB column is the largest fake-quant vs fixed-point difference.
      </p>
      <div className="table-scroll">
        <table className="table table-compact" data-testid="layers.table">
          <thead>
            <tr>
              <th>Layer</th>
              <th>Type</th>
              <th>dtype</th>
              <th>weight</th>
              <th className="num">scale</th>
              <th className="num">zero point</th>
              <th className="num">SQNR</th>
              <th className="num">LSB Δ</th>
              <th>observer</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.name} data-testid="layers.row" data-layer={row.name}>
                <td className="mono">{row.name}</td>
                <td>{row.type}</td>
                <td className={`dtype dtype-${row.dtype}`}>{row.dtype}</td>
                <td className={row.weightDtype ? `dtype dtype-${row.weightDtype}` : ''}>{row.weightDtype ?? ''}</td>
                <td className="num mono">{formatScales(row.scale)}</td>
                <td className="num mono">{formatZeroPoints(row.zeroPoint)}</td>
                <td className="num">{row.sqnr === null ? '–' : Number.isFinite(row.sqnr) ? `${row.sqnr.toFixed(1)} dB` : '∞'}</td>
                <td className="num">{row.maxLsb === null ? '–' : Number.isInteger(row.maxLsb) ? row.maxLsb : row.maxLsb.toFixed(1)}</td>
                <td className="small observer" title={row.observer}>
                  {shortObserver(row.observer)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
