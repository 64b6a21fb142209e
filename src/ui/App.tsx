import { DatasetPanel } from './DatasetPanel';
import { EditorPanel } from './EditorPanel';
import { ExamplesMenu } from './ExamplesMenu';
import { GpuPanel } from './GpuPanel';
import { Notices } from './Notices';
import { PipelinePanel } from './PipelinePanel';
import { ResultsPanel } from './ResultsPanel';
import { ShareButton } from './ShareButton';
import { useApp } from './StoreContext';

function AdapterChip() {
  const gpu = useApp((s) => s.gpu);
  const text =
    gpu.status === 'ready'
      ? `${gpu.adapter.vendor} · ${gpu.adapter.architecture}`
      : gpu.status === 'pending'
        ? 'WebGPU…'
        : 'no WebGPU';
  return (
    <span className={`chip chip-${gpu.status}`} data-testid="header.adapter">
      <span className="chip-dot" aria-hidden="true" />
      {text}
    </span>
  );
}

export function App({ shareLink }: { shareLink: () => string }) {
  return (
    <div className="app">
      <header className="app-header">
        <div className="brand">
          <h1>QAT Playground</h1>
          <p className="tagline">Write a network and its quantization config; train, calibrate, QAT and convert it on WebGPU, in this page.</p>
        </div>
        <nav className="header-actions" aria-label="Page">
          <ExamplesMenu />
          <ShareButton shareLink={shareLink} />
          <AdapterChip />
        </nav>
      </header>
      <Notices />
      <main className="app-main">
        <EditorPanel />
        <div className="side-panel" aria-label="Pipeline and results">
          <PipelinePanel />
          <ResultsPanel />
          <div className="side-pair" aria-label="Device and data">
            <GpuPanel />
            <DatasetPanel />
          </div>
        </div>
      </main>
    </div>
  );
}
