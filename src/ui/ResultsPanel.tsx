import { useState } from 'react';
import { AccuracyTable } from './AccuracyTable';
import { CheckView } from './CheckView';
import { ExportView } from './ExportView';
import { GraphView } from './GraphView';
import { HistogramView } from './HistogramView';
import { LayerTable } from './LayerTable';
import { SensitivityView } from './SensitivityView';
import { TrainingCharts } from './TrainingCharts';

const TABS = [
  { id: 'accuracy', label: 'Accuracy', view: AccuracyTable },
  { id: 'training', label: 'Training', view: TrainingCharts },
  { id: 'layers', label: 'Layers', view: LayerTable },
  { id: 'histogram', label: 'Histogram', view: HistogramView },
  { id: 'graph', label: 'Graph', view: GraphView },
  { id: 'check', label: 'Check', view: CheckView },
  { id: 'sensitivity', label: 'Sensitivity', view: SensitivityView },
  { id: 'export', label: 'Export', view: ExportView },
] as const;

export type ResultsTab = (typeof TABS)[number]['id'];

export function ResultsPanel() {
  const [tab, setTab] = useState<ResultsTab>('accuracy');
  const View = TABS.find((t) => t.id === tab)!.view;
  return (
    <section className="card results" data-testid="results" aria-label="Results">
      <div className="tabs results-tabs" role="tablist" aria-label="Results views">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            className="tab"
            aria-selected={t.id === tab}
            data-testid={`results.tab.${t.id}`}
            onClick={() => setTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div className="results-body" role="tabpanel" data-testid={`results.view.${tab}`}>
        <View />
      </div>
    </section>
  );
}
