/**
 * Monaco, bundled by Vite with its editor and TypeScript workers (no CDN: the page works offline).
 * One text model per editor file, under file:/// URIs, so the TypeScript service sees `model.ts` and
 * `qconfig.ts` as two modules of one project. Imported lazily: the rest of the page does not wait for it.
 */
import * as monaco from 'monaco-editor';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import TypeScriptWorker from 'monaco-editor/language/typescript/ts.worker?worker';
import { SOURCE_FILES, type SourceFile } from './defaultSources';
import { dslDeclarations } from './dslTypes';

self.MonacoEnvironment = {
  getWorker(_id: string, label: string): Worker {
    return label === 'typescript' || label === 'javascript' ? new TypeScriptWorker() : new EditorWorker();
  },
};

const ts = monaco.typescript;

ts.typescriptDefaults.setCompilerOptions({
  target: ts.ScriptTarget.ESNext,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.NodeJs,
  strict: true,
  noEmit: true,
  allowNonTsExtensions: true,
  lib: ['esnext'],
});
ts.typescriptDefaults.setEagerModelSync(true);

/**
 * The DSL's type declarations: ambient `declare module "torch" { ... }` blocks for every module the
 * editor files may import, with the JSDoc that hover and autocomplete show.
 */
let declarations: monaco.IDisposable | null = null;

export function setDslDeclarations(text: string): void {
  declarations?.dispose();
  declarations = ts.typescriptDefaults.addExtraLib(text, 'file:///node_modules/@types/qat-dsl/index.d.ts');
}

setDslDeclarations(dslDeclarations());

export function fileUri(file: SourceFile): monaco.Uri {
  return monaco.Uri.parse(`file:///${file}`);
}

/** The text model of each editor file, created once. */
export function getModels(initial: Record<SourceFile, string>): Record<SourceFile, monaco.editor.ITextModel> {
  const entries = SOURCE_FILES.map((file) => {
    const model = monaco.editor.getModel(fileUri(file)) ?? monaco.editor.createModel(initial[file], 'typescript', fileUri(file));
    return [file, model] as const;
  });
  return Object.fromEntries(entries) as Record<SourceFile, monaco.editor.ITextModel>;
}

export function createEditor(container: HTMLElement, model: monaco.editor.ITextModel): monaco.editor.IStandaloneCodeEditor {
  return monaco.editor.create(container, {
    model,
    automaticLayout: true,
    fontSize: 13,
    lineHeight: 20,
    fontFamily: "ui-monospace, 'JetBrains Mono', 'SF Mono', Menlo, Consolas, monospace",
    minimap: { enabled: false },
    scrollBeyondLastLine: false,
    tabSize: 2,
    renderLineHighlight: 'line',
    padding: { top: 12, bottom: 12 },
    fixedOverflowWidgets: true,
    theme: 'vs',
  });
}

export { monaco };
