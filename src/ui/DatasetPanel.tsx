import { ProgressBar } from './ProgressBar';
import { SampleGrid } from './SampleGrid';
import { useApp } from './StoreContext';
import { formatBytes, formatCount } from './format';

export function DatasetPanel() {
  const dataset = useApp((s) => s.dataset);
  const loadDataset = useApp((s) => s.loadDataset);
  const { status, progress, report, error } = dataset;

  return (
    <section className="card" data-testid="dataset.panel" aria-labelledby="dataset-title">
      <header className="card-header">
        <h2 id="dataset-title">Dataset · Fashion-MNIST</h2>
        <span className={`badge badge-${status}`} data-testid="dataset.status" data-state={status}>
          {status === 'loading' ? 'loading…' : status}
        </span>
      </header>

      {status === 'loading' && (
        <div className="loading" data-testid="dataset.loading">
          <ProgressBar value={progress?.loaded ?? 0} max={progress?.total ?? 1} label="Dataset download" testId="dataset.progress" />
          <p className="muted small">
            {progress
              ? `${progress.fromCache ? 'Reading from cache' : 'Downloading'} ${progress.file} · ${formatBytes(progress.loaded)} of ${formatBytes(progress.total)}`
              : 'Starting…'}
          </p>
        </div>
      )}

      {status === 'error' && (
        <div className="notice notice-error" role="alert">
          <p data-testid="dataset.error">{error}</p>
          <button type="button" className="button" data-testid="dataset.retry" onClick={() => void loadDataset()}>
            Try again
          </button>
        </div>
      )}

      {report && status !== 'loading' && (
        <>
          <dl className="facts" data-testid="dataset.summary">
            <dt>Images</dt>
            <dd>
              <span data-testid="dataset.train.count">{formatCount(report.train.count)}</span> train ·{' '}
              <span data-testid="dataset.test.count">{formatCount(report.test.count)}</span> test · {report.test.height}×{report.test.width}, {report.classes.length} classes
            </dd>
            <dt>Normalized</dt>
            <dd>
              (x − {report.normalization.mean.toFixed(4)}) / {report.normalization.std.toFixed(4)}
              <span className="muted"> · train pixels: mean {report.pixelMean.toFixed(4)}, std {report.pixelStd.toFixed(4)}</span>
            </dd>
            <dt>Source</dt>
            <dd data-testid="dataset.source">
              {report.fromCache ? 'cache' : `downloaded ${formatBytes(report.compressedBytes)}`} in {report.seconds.toFixed(1)} s
            </dd>
          </dl>
          <SampleGrid samples={report.samples} classes={report.classes} />
          <p className="muted small credit">Fashion-MNIST © 2017 Zalando SE, MIT licence.</p>
        </>
      )}
    </section>
  );
}
