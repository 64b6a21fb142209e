import { useEffect, useMemo } from 'react';
import { stageView } from '../store/pipeline';
import { useApp } from './StoreContext';
import { formatBytes } from './format';

/** The files compile_model made, each a download link. */
export function ExportView() {
  const result = useApp((s) => s.stages.compile.result);
  const stale = useApp((s) => stageView(s, 'compile') === 'stale');
  const urls = useMemo(() => result?.files.map((f) => URL.createObjectURL(new Blob([f.data], { type: f.mime }))) ?? [], [result]);
  useEffect(() => () => urls.forEach((u) => URL.revokeObjectURL(u)), [urls]);
  if (!result) return <p className="muted empty">Run Compile & export to get the compiled model, the ONNX model, a PyTorch script and the check report.</p>;
  return (
    <div className="export" data-testid="export">
      {stale && <p className="stale-note small">These files come from before your last change.</p>}
      <ul className="downloads">
        {result.files.map((f, i) => (
          <li key={f.name}>
            <a className="button" href={urls[i]} download={f.name} data-testid={`export.download.${f.name}`}>
              {f.name}
            </a>
            <span className="muted small">
              {formatBytes(f.bytes)} · {f.description}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
