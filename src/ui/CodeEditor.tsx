import { useEffect, useRef, useState } from 'react';
import { SOURCE_FILES, type SourceFile } from '../editor/defaultSources';
import { useAppStore } from './StoreContext';

type MonacoModule = typeof import('../editor/monaco');

/**
 * Monaco bound to the store both ways: typing calls `setSource`; `setSource` from elsewhere (the
 * automation API, an example) updates the text model; the active file picks the model shown.
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
        const editor = m.createEditor(container.current, models[store.getState().activeFile]);
        const viewStates = new Map<SourceFile, ReturnType<typeof editor.saveViewState>>();
        cleanups.push(() => editor.dispose());

        for (const file of SOURCE_FILES) {
          const model = models[file];
          const listener = model.onDidChangeContent(() => store.getState().setSource(file, model.getValue()));
          cleanups.push(() => listener.dispose());
        }
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
          }),
        );
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
