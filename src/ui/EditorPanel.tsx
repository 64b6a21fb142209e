import { SOURCE_FILES } from '../editor/defaultSources';
import { useState } from 'react';
import { currentAnalysis, formatDiagnostic } from '../store/analysis';
import { CodeEditor, revealInEditor } from './CodeEditor';
import { useApp, useAppStore } from './StoreContext';

/** `model.ts` → `editor.tab.model` */
export function tabTestId(file: string): string {
  return `editor.tab.${file.replace(/\.ts$/, '')}`;
}

/**
 * What the last code check found. A status bar of fixed height (the editor never changes size, so
 * Monaco does not lay out again); problems open as a list over the bottom of the editor, each with
 * file, line, column and message; a click shows the place.
 */
function Problems() {
  const store = useAppStore();
  const diagnostics = useApp((s) => s.analysis.diagnostics);
  const status = useApp((s) => s.analysis.status);
  const error = useApp((s) => s.analysis.error);
  const current = useApp((s) => currentAnalysis(s) !== null);
  const [open, setOpen] = useState(true);
  const count = diagnostics.length;
  let text: string;
  let kind: 'idle' | 'ok' | 'error' = 'idle';
  if (error) {
    text = error;
    kind = 'error';
  } else if (status === 'running') {
    text = 'Checking the code…';
  } else if (count > 0) {
    text = `${count === 1 ? '1 problem' : `${count} problems`}${current ? '' : ' (before your last edit)'} · earlier results stay until the code runs again`;
    kind = 'error';
  } else if (status === 'ok' && current) {
    text = 'The code checks: evaluated, traced, fused and prepared.';
    kind = 'ok';
  } else {
    text = 'Not checked since the last edit. Check code (Ctrl+Shift+Enter) evaluates both files; Run does it first.';
  }
  return (
    <>
      {count > 0 && open && (
        <div className="problems-list" role="alert" data-testid="problems.list">
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
      )}
      <div className={`problems problems-${kind}`} data-testid="problems" data-count={count} data-kind={kind}>
        <span className="problems-text">{text}</span>
        {count > 0 && (
          <button type="button" className="problems-toggle" onClick={() => setOpen(!open)} data-testid="problems.toggle">
            {open ? 'hide' : 'show'}
          </button>
        )}
      </div>
    </>
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
      <div className="editor-body">
        <CodeEditor />
        <Problems />
      </div>
    </section>
  );
}
