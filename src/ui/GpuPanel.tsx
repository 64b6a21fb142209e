import { useApp } from './StoreContext';
import { formatBytes } from './format';

/** What works without a GPU device today; stages need WebGPU. */
const WITHOUT_GPU = 'Still working here: editing model.ts and qconfig.ts, and browsing the dataset. Training and the quantization stages need WebGPU.';

export function GpuPanel() {
  const gpu = useApp((s) => s.gpu);
  const detectGpu = useApp((s) => s.detectGpu);

  return (
    <section className="card" data-testid="gpu.panel" aria-labelledby="gpu-title">
      <header className="card-header">
        <h2 id="gpu-title">WebGPU</h2>
        <span className={`badge badge-${gpu.status}`} data-testid="gpu.status" data-state={gpu.status}>
          {gpu.status === 'ready' ? 'ready' : gpu.status === 'pending' ? 'opening…' : gpu.status === 'unavailable' ? 'unavailable' : gpu.status}
        </span>
      </header>
      {gpu.status === 'pending' && <p className="muted">Opening the adapter in the worker…</p>}
      {gpu.status === 'ready' && (
        <dl className="facts">
          <dt>Vendor</dt>
          <dd data-testid="gpu.vendor">{gpu.adapter.vendor}</dd>
          <dt>Architecture</dt>
          <dd data-testid="gpu.architecture">{gpu.adapter.architecture}</dd>
          {(gpu.adapter.device || gpu.adapter.description) && (
            <>
              <dt>Device</dt>
              <dd>{[gpu.adapter.device, gpu.adapter.description].filter(Boolean).join(' · ')}</dd>
            </>
          )}
          <dt>Kind</dt>
          <dd data-testid="gpu.kind">{gpu.adapter.software ? 'software (CPU-emulated, slow)' : 'hardware'}</dd>
          <dt>int8 dot product</dt>
          <dd>{gpu.adapter.packedDot ? 'dot4I8Packed available' : 'not offered (fallback kernels)'}</dd>
          <dt>Limits</dt>
          <dd data-testid="gpu.limits">
            {[
              gpu.limits.maxBufferSize !== undefined && `${formatBytes(gpu.limits.maxBufferSize)} buffers`,
              gpu.limits.maxComputeWorkgroupStorageSize !== undefined &&
                `${formatBytes(gpu.limits.maxComputeWorkgroupStorageSize)} workgroup memory`,
            ]
              .filter(Boolean)
              .join(' · ')}
          </dd>
        </dl>
      )}
      {gpu.status === 'unavailable' && (
        <div className="notice notice-warning" role="status" data-testid="gpu.message">
          <p>
            <strong>No WebGPU adapter.</strong> {gpu.reason}
          </p>
          <p>{WITHOUT_GPU}</p>
        </div>
      )}
      {(gpu.status === 'lost' || gpu.status === 'error') && (
        <div className="notice notice-error" role="alert" data-testid="gpu.message">
          <p>{gpu.message}</p>
          <p>{WITHOUT_GPU}</p>
          <button type="button" className="button" data-testid="gpu.retry" onClick={() => void detectGpu()}>
            Open the GPU again
          </button>
        </div>
      )}
    </section>
  );
}
