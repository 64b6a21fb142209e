import { SOURCE_FILES } from '../editor/defaultSources';
import { CodeEditor } from './CodeEditor';
import { useApp } from './StoreContext';

/** `model.ts` → `editor.tab.model` */
export function tabTestId(file: string): string {
  return `editor.tab.${file.replace(/\.ts$/, '')}`;
}

export function EditorPanel() {
  const activeFile = useApp((s) => s.activeFile);
  const setActiveFile = useApp((s) => s.setActiveFile);

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
            title={`${file} (Alt+${i + 1})`}
            onClick={() => setActiveFile(file)}
          >
            {file}
          </button>
        ))}
      </div>
      <CodeEditor />
    </section>
  );
}
