import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MetricPoint } from '../worker/results';

export interface ChartSeries {
  key: keyof Omit<MetricPoint, 'step' | 'epoch'>;
  label: string;
  color: string;
  /** Which y scale (series on one scale share an axis). */
  scale: string;
}

/**
 * A uPlot line chart of training metrics against the step. The chart is made once; new points only
 * call setData (at most once per animation frame), so a running stage costs the page little.
 */
export function MetricChart({ points, series, height = 180, testId }: { points: readonly MetricPoint[]; series: readonly ChartSeries[]; height?: number; testId: string }) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latest = useRef(points);
  const frame = useRef<number | null>(null);
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
      legend: { show: true, live: false },
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
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      if (frame.current !== null) cancelAnimationFrame(frame.current);
      plot.destroy();
      chart.current = null;
    };
    // The chart is rebuilt only when its shape changes; data flows through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [series, height]);

  useEffect(() => {
    if (frame.current !== null) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = null;
      chart.current?.setData(toData(latest.current));
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [points]);

  return <div ref={host} className="metric-chart" data-testid={testId} data-points={points.length} />;
}
