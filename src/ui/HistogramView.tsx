import { useEffect, useState } from 'react';
import { ACTIVATION_IMAGES, type HistogramResult } from '../worker/results';
import { useApp, useAppStore, useDerived } from './StoreContext';

const WIDTH = 600;
const HEIGHT = 220;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };

function HistogramChart({ h }: { h: HistogramResult }) {
  const lo = h.edges[0]!;
  const hi = h.edges[h.edges.length - 1]!;
  const x = (v: number) => PAD.left + ((v - lo) / (hi - lo || 1)) * (WIDTH - PAD.left - PAD.right);
  const peak = Math.max(1, ...h.counts);
  const y = (c: number) => HEIGHT - PAD.bottom - (c / peak) * (HEIGHT - PAD.top - PAD.bottom);
  const grid = h.grid;
  const levels: number[] = [];
  let spacing = 0;
  if (grid) {
    spacing = x(grid.scale) - x(0);
    // Draw every level when they are at least 3 px apart; otherwise every k-th.
    const every = Math.max(1, Math.ceil(3 / Math.max(spacing, 1e-9)));
    for (let q = grid.quantMin; q <= grid.quantMax; q += every) levels.push((q - grid.zeroPoint) * grid.scale);
  }
  const clip = grid ? [(grid.quantMin - grid.zeroPoint) * grid.scale, (grid.quantMax - grid.zeroPoint) * grid.scale] : null;
  const ticks = [lo, (lo + hi) / 2, hi];
  return (
    <svg width={WIDTH} height={HEIGHT} className="histogram-svg" data-testid="histogram.chart" data-levels={levels.length} role="img" aria-label={`Histogram of ${h.layer} ${h.kind}s`}>
      {levels.map((v, i) => (
        <line key={i} x1={x(v)} x2={x(v)} y1={PAD.top} y2={HEIGHT - PAD.bottom} className="histogram-level" />
      ))}
      {h.counts.map((c, i) => {
        const x0 = x(h.edges[i]!);
        const x1 = x(h.edges[i + 1]!);
        return c > 0 ? <rect key={i} x={x0} y={y(c)} width={Math.max(0.5, x1 - x0 - 0.3)} height={HEIGHT - PAD.bottom - y(c)} className="histogram-bar" /> : null;
      })}
      {clip?.map((v, i) => (
        <g key={i} data-testid="histogram.clip">
          <line x1={x(v)} x2={x(v)} y1={PAD.top - 4} y2={HEIGHT - PAD.bottom} className="histogram-clip" />
          <text x={x(v) + (i === 0 ? 3 : -3)} y={PAD.top + 6} textAnchor={i === 0 ? 'start' : 'end'} className="histogram-label">
            {i === 0 ? 'clip min' : 'clip max'}
          </text>
        </g>
      ))}
      <line x1={PAD.left} x2={WIDTH - PAD.right} y1={HEIGHT - PAD.bottom} y2={HEIGHT - PAD.bottom} className="histogram-axis" />
      {ticks.map((t, i) => (
        <text key={i} x={x(t)} y={HEIGHT - 10} textAnchor={i === 0 ? 'start' : i === 2 ? 'end' : 'middle'} className="histogram-label">
          {t.toPrecision(3)}
        </text>
      ))}
      <text x={4} y={PAD.top + 8} className="histogram-label">
        {peak}
      </text>
    </svg>
  );
}

/** A chosen layer's weights with its quantization grid and clip range. */
export function HistogramView() {
  const store = useAppStore();
  const sources = useDerived((s) =>
    (['qat', 'calibration', 'float'] as const).filter((stage) => s.stages[stage].result).map((stage) => ({ stage, runId: s.stages[stage].result!.runId })),
  );
  const layers = useDerived((s) => (s.analysis.lastGood?.result.check.qat.rows ?? []).filter((r) => r.kind === 'weighted').map((r) => r.target));
  const histogram = useApp((s) => s.histogram);
  const [stage, setStage] = useState<string>('');
  const [layer, setLayer] = useState<string>('');
  const [kind, setKind] = useState<'weight' | 'activation'>('weight');
  const source = sources.find((s) => s.stage === stage) ?? sources[0];
  const chosenLayer = layers.includes(layer) ? layer : layers[0];

  useEffect(() => {
    if (!source || !chosenLayer) return;
    const files = kind === 'activation' ? { ...store.getState().files } : undefined;
    void store.getState().loadHistogram({ stage: source.stage, runId: source.runId, layer: chosenLayer, kind, bins: 96, ...(files ? { files } : {}) });
  }, [store, source?.stage, source?.runId, chosenLayer, kind]);

  if (!sources.length) return <p className="muted empty">Histograms come from a stage's checkpoint: run float training, calibration or QAT first.</p>;
  if (!layers.length) return <p className="muted empty">Check the code to list the layers with weights.</p>;
  const h = histogram.result;
  return (
    <div className="histogram" data-testid="histogram">
      <div className="histogram-controls">
        <label>
          checkpoint{' '}
          <select value={source!.stage} onChange={(e) => setStage(e.target.value)} data-testid="histogram.stage">
            {sources.map((s) => (
              <option key={s.stage} value={s.stage}>
                {s.stage}
              </option>
            ))}
          </select>
        </label>
        <label>
          layer{' '}
          <select value={chosenLayer} onChange={(e) => setLayer(e.target.value)} data-testid="histogram.layer">
            {layers.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <span className="segmented" role="group" aria-label="Values">
          {(['weight', 'activation'] as const).map((k) => (
            <button key={k} type="button" aria-pressed={kind === k} data-testid={`histogram.kind.${k}`} onClick={() => setKind(k)}>
              {k === 'weight' ? 'weights' : 'activations'}
            </button>
          ))}
        </span>
        <span className="muted small" data-testid="histogram.caption">
          {h
            ? `${h.kind === 'weight' ? 'weights' : `outputs on ${ACTIVATION_IMAGES} test images`} · ${h.min.toPrecision(3)} … ${h.max.toPrecision(3)}${
                h.grid ? ` · grid ${h.grid.dtype}, scale ${h.grid.scale.toPrecision(3)}` : ' · no quantization grid (float, or an int32 output)'
              }`
            : ''}
        </span>
      </div>
      {histogram.loading && <p className="muted small">Reading the checkpoint…</p>}
      {histogram.error && (
        <p className="error-text small" role="alert" data-testid="histogram.error">
          {histogram.error}
        </p>
      )}
      {h && <HistogramChart h={h} />}
    </div>
  );
}
