import { useEffect, useRef, useState } from 'react';
import { SOURCE_FILES, type SourceFile } from '../editor/defaultSources';
import { useAppStore } from './StoreContext';

type MonacoModule = typeof import('../editor/monaco');

const MARKER_OWNER = 'qat-playground';
const REVEAL_EVENT = 'qat-playground:reveal';

/** Asks the editor to show a place (the problems list does this). */
export function revealInEditor(file: string, line: number, column: number): void {
  window.dispatchEvent(new CustomEvent(REVEAL_EVENT, { detail: { file, line, column } }));
}

/**
 * Monaco bound to the store both ways: typing calls `setSource`; `setSource` from elsewhere (the
 * automation API, an example) updates the text model; the active file picks the model shown. The
 * code check's diagnostics become markers on their file, line and column.
 */
export function CodeEditor() {
  const store = useAppStore();
  const container = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState<'loading' | 'ready' | 'failed'>('loading');
  const [failure, setFailure] = useState('');

  useEffect(() => {
    let disposed = false;
    const cleanups: (() => void)[] = [];

    void import('../editor/monaco')
      .then((m: MonacoModule) => {
        if (disposed || !container.current) return;
        const models = m.getModels(store.getState().files);
        for (const file of SOURCE_FILES) {
          if (models[file].getValue() !== store.getState().files[file]) models[file].setValue(store.getState().files[file]);
        }
        const editor = m.createEditor(container.current, models[store.getState().activeFile]);
        const viewStates = new Map<SourceFile, ReturnType<typeof editor.saveViewState>>();
        cleanups.push(() => editor.dispose());

        for (const file of SOURCE_FILES) {
          const model = models[file];
          const listener = model.onDidChangeContent(() => store.getState().setSource(file, model.getValue()));
          cleanups.push(() => listener.dispose());
        }

        let shown = '';
        const showMarkers = () => {
          const diagnostics = store.getState().analysis.diagnostics;
          // Only a real change: setting markers makes Monaco render again.
          const key = JSON.stringify(diagnostics);
          if (key === shown) return;
          shown = key;
          for (const file of SOURCE_FILES) {
            const model = models[file];
            const markers = diagnostics
              .filter((d) => d.file === file)
              .map((d) => {
                const line = Math.min(Math.max(1, d.line), model.getLineCount());
                const word = model.getWordAtPosition({ lineNumber: line, column: Math.max(1, d.column) });
                return {
                  severity: d.severity === 'error' ? m.monaco.MarkerSeverity.Error : m.monaco.MarkerSeverity.Warning,
                  message: d.message,
                  startLineNumber: line,
                  startColumn: Math.max(1, d.column),
                  endLineNumber: line,
                  endColumn: word ? word.endColumn : model.getLineMaxColumn(line),
                  source: 'QAT Playground',
                };
              });
            m.monaco.editor.setModelMarkers(model, MARKER_OWNER, markers);
          }
        };
        showMarkers();

        cleanups.push(
          store.subscribe((state, previous) => {
            for (const file of SOURCE_FILES) {
              if (state.files[file] !== previous.files[file] && models[file].getValue() !== state.files[file]) {
                models[file].setValue(state.files[file]);
              }
            }
            if (state.activeFile !== previous.activeFile) {
              viewStates.set(previous.activeFile, editor.saveViewState());
              editor.setModel(models[state.activeFile]);
              const saved = viewStates.get(state.activeFile);
              if (saved) editor.restoreViewState(saved);
            }
            if (state.analysis.diagnostics !== previous.analysis.diagnostics) showMarkers();
          }),
        );

        const onReveal = (event: Event) => {
          const { file, line, column } = (event as CustomEvent<{ file: string; line: number; column: number }>).detail;
          if (!SOURCE_FILES.includes(file as SourceFile)) return;
          if (editor.getModel() !== models[file as SourceFile]) editor.setModel(models[file as SourceFile]);
          editor.revealPositionInCenter({ lineNumber: line, column });
          editor.setPosition({ lineNumber: line, column });
          editor.focus();
        };
        window.addEventListener(REVEAL_EVENT, onReveal);
        cleanups.push(() => window.removeEventListener(REVEAL_EVENT, onReveal));
        setStatus('ready');
      })
      .catch((error: unknown) => {
        if (disposed) return;
        setFailure(error instanceof Error ? error.message : String(error));
        setStatus('failed');
      });

    return () => {
      disposed = true;
      for (const cleanup of cleanups.reverse()) cleanup();
    };
  }, [store]);

  return (
    <div className="code-editor" data-testid="editor.surface" data-state={status}>
      <div ref={container} className="code-editor-host" />
      {status === 'loading' && <div className="code-editor-overlay muted">Loading the editor…</div>}
      {status === 'failed' && (
        <div className="code-editor-overlay notice notice-error" role="alert">
          The editor could not load: {failure}
        </div>
      )}
    </div>
  );
}
