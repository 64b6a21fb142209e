import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MetricPoint } from '../worker/results';

const REDRAW_MS = 1000;

export interface ChartSeries {
  key: keyof Omit<MetricPoint, 'step' | 'epoch'>;
  label: string;
  color: string;
  /** Which y scale (series on one scale share an axis). */
  scale: string;
}

/**
 * A uPlot line chart of training metrics against the step. The chart is made once; new points only
 * call setData, at most once a second, so a running stage costs the page little.
 */
export function MetricChart({ points, series, height = 180, testId }: { points: readonly MetricPoint[]; series: readonly ChartSeries[]; height?: number; testId: string }) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latest = useRef(points);
  const frame = useRef<number | null>(null);
  const lastDraw = useRef(-Infinity);
  latest.current = points;

  const toData = (data: readonly MetricPoint[]): uPlot.AlignedData => [
    data.map((p) => p.step),
    ...series.map((s) => data.map((p) => (Number.isFinite(p[s.key]) ? p[s.key] : null))),
  ];

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const scales = [...new Set(series.map((s) => s.scale))];
    const options: uPlot.Options = {
      width: Math.max(200, element.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false } },
      axes: [
        { label: 'step', size: 36, labelSize: 16, font: '11px system-ui', labelFont: '11px system-ui' },
        ...scales.map((scale, i) => ({
          scale,
          side: i === 0 ? 3 : 1,
          label: series.filter((s) => s.scale === scale).map((s) => s.label).join(', '),
          grid: { show: i === 0 },
          size: 52,
          labelSize: 16,
          font: '11px system-ui',
          labelFont: '11px system-ui',
        })),
      ],
      series: [{ label: 'step' }, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, scale: s.scale, points: { show: false } }))],
    };
    const plot = new uPlot(options, toData(latest.current), element);
    chart.current = plot;
    let width = options.width;
    const resize = new ResizeObserver(() => {
      // Only a real change of width: a resize costs a full redraw.
      const next = Math.max(200, element.clientWidth);
      if (next === width) return;
      width = next;
      plot.setSize({ width, height });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      if (frame.current !== null) clearTimeout(frame.current);
      frame.current = null;
      plot.destroy();
      chart.current = null;
    };
    // The chart is rebuilt only when its shape changes; data flows through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [series, height]);

  useEffect(() => {
    if (frame.current !== null) return;
    const wait = Math.max(0, lastDraw.current + REDRAW_MS - performance.now());
    frame.current = window.setTimeout(() => {
      frame.current = null;
      lastDraw.current = performance.now();
      chart.current?.setData(toData(latest.current));
    }, wait);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [points]);

  return <div ref={host} className="metric-chart" data-testid={testId} data-points={points.length} />;
}
