import { SOURCE_FILES } from '../editor/defaultSources';
import { formatDiagnostic } from '../store/analysis';
import { CodeEditor, revealInEditor } from './CodeEditor';
import { useApp, useAppStore } from './StoreContext';

/** `model.ts` → `editor.tab.model` */
export function tabTestId(file: string): string {
  return `editor.tab.${file.replace(/\.ts$/, '')}`;
}

/** What the last code check found: file, line, column and message; a click shows the place. */
function Problems() {
  const store = useAppStore();
  const diagnostics = useApp((s) => s.analysis.diagnostics);
  const status = useApp((s) => s.analysis.status);
  const error = useApp((s) => s.analysis.error);
  if (error) {
    return (
      <div className="problems problems-error" role="alert" data-testid="problems">
        {error}
      </div>
    );
  }
  if (diagnostics.length === 0) {
    return status === 'ok' ? (
      <div className="problems problems-ok" data-testid="problems" data-count={0}>
        The code checks: evaluated, traced, fused and prepared.
      </div>
    ) : null;
  }
  return (
    <div className="problems problems-error" role="alert" data-testid="problems" data-count={diagnostics.length}>
      <strong>{diagnostics.length === 1 ? '1 problem' : `${diagnostics.length} problems`}</strong>
      <span className="muted small"> · earlier results stay until the code runs again</span>
      <ul>
        {diagnostics.map((d, i) => (
          <li key={i}>
            <button
              type="button"
              className="problem"
              data-testid="problems.item"
              onClick={() => {
                if (SOURCE_FILES.includes(d.file as (typeof SOURCE_FILES)[number])) store.getState().setActiveFile(d.file as (typeof SOURCE_FILES)[number]);
                revealInEditor(d.file, d.line, d.column);
              }}
            >
              {formatDiagnostic(d)}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function EditorPanel() {
  const activeFile = useApp((s) => s.activeFile);
  const setActiveFile = useApp((s) => s.setActiveFile);
  const errorFiles = useApp((s) => s.analysis.diagnostics.map((d) => d.file).join('\n'));

  return (
    <section className="editor-panel" data-testid="editor" aria-label="Code editor">
      <div className="tabs" role="tablist" aria-label="Files">
        {SOURCE_FILES.map((file, i) => (
          <button
            key={file}
            type="button"
            role="tab"
            className="tab"
            aria-selected={file === activeFile}
            data-testid={tabTestId(file)}
            data-errors={errorFiles.split('\n').includes(file) ? 'true' : undefined}
            title={`${file} (Alt+${i + 1})`}
            onClick={() => setActiveFile(file)}
          >
            {file}
            {errorFiles.split('\n').includes(file) && <span className="tab-error-dot" aria-label="has errors" />}
          </button>
        ))}
      </div>
      <CodeEditor />
      <Problems />
    </section>
  );
}
