import { DatasetPanel } from './DatasetPanel';
import { EditorPanel } from './EditorPanel';
import { GpuPanel } from './GpuPanel';
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

export function App(_props: { shareLink: () => string }) {
  return (
    <div className="app">
      <header className="app-header">
        <div className="brand">
          <h1>QAT Playground</h1>
          <p className="tagline">Write a network and its quantization config; train, calibrate, QAT and convert it on WebGPU, in this page.</p>
        </div>
        <AdapterChip />
      </header>
      <main className="app-main">
        <EditorPanel />
        <aside className="side-panel" aria-label="Device and data">
          <GpuPanel />
          <DatasetPanel />
        </aside>
      </main>
    </div>
  );
}
