import { useState } from 'react';
import type { MetricPoint } from '../worker/results';
import { MetricChart, type ChartSeries } from './MetricChart';
import { useApp } from './StoreContext';

const LOSS_ACCURACY: ChartSeries[] = [
  { key: 'loss', label: 'loss', color: '#d9480f', scale: 'loss' },
  { key: 'accuracy', label: 'train accuracy', color: '#2f6feb', scale: 'accuracy' },
];
const LEARNING_RATE: ChartSeries[] = [{ key: 'lr', label: 'lr', color: '#1a7f37', scale: 'lr' }];

const NO_POINTS: MetricPoint[] = [];

/** Live loss, accuracy and learning rate of float training or QAT (the running run, else the last result). */
export function TrainingCharts() {
  const running = useApp((s) => (s.stages.qat.status === 'running' ? 'qat' : s.stages.float.status === 'running' ? 'float' : null));
  const [chosen, setChosen] = useState<'float' | 'qat' | null>(null);
  const stage = chosen ?? running ?? 'float';
  const points = useApp((s) => {
    const record = s.stages[stage];
    if (record.status === 'running') return record.live;
    return record.result?.history ?? NO_POINTS;
  });
  const live = useApp((s) => s.stages[stage].status === 'running');
  return (
    <div className="training" data-testid="training">
      <div className="segmented" role="group" aria-label="Stage">
        {(['float', 'qat'] as const).map((s) => (
          <button key={s} type="button" aria-pressed={stage === s} data-testid={`training.stage.${s}`} onClick={() => setChosen(s)}>
            {s === 'float' ? 'Float training' : 'QAT'}
          </button>
        ))}
        <span className="muted small">{live ? 'live' : points.length ? `${points.length} points` : 'no run yet'}</span>
      </div>
      <MetricChart points={points} series={LOSS_ACCURACY} height={200} testId="training.chart.loss" />
      <MetricChart points={points} series={LEARNING_RATE} height={110} testId="training.chart.lr" />
    </div>
  );
}
