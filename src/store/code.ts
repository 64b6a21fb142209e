/**
 * The two editor files, which one is shown, and the examples gallery. Loading an example replaces both
 * files and keeps the previous ones for one undo, so edits are never lost to a click.
 */
import { EXAMPLES } from '../dsl/examples';
import { DEFAULT_SOURCES, SOURCE_FILES, type SourceFile } from '../editor/defaultSources';
import type { SliceCreator } from './types';

export type SourceTextMap = Record<SourceFile, string>;

export interface CodeSlice {
  files: SourceTextMap;
  activeFile: SourceFile;
  /** The files before the last example was loaded (for undo), and which example that was. */
  undo: { files: SourceTextMap; example: string } | null;
  setSource(file: SourceFile, text: string): void;
  setActiveFile(file: SourceFile): void;
  /** Both files at once (a share link, a restored session). */
  setFiles(files: SourceTextMap): void;
  loadExample(id: string): void;
  undoExample(): void;
}

export function assertSourceFile(file: unknown): asserts file is SourceFile {
  if (!SOURCE_FILES.includes(file as SourceFile)) {
    throw new Error(`Unknown file ${JSON.stringify(file)}: the editor has ${SOURCE_FILES.map((f) => `'${f}'`).join(' and ')}`);
  }
}

/** The gallery example both files equal, if any. */
export function matchingExample(files: SourceTextMap): string | null {
  return EXAMPLES.find((e) => SOURCE_FILES.every((f) => e.files[f] === files[f]))?.id ?? null;
}

export const createCodeSlice: SliceCreator<CodeSlice> = () => (set, get) => ({
  files: { ...DEFAULT_SOURCES },
  activeFile: 'model.ts',
  undo: null,
  setSource(file, text) {
    assertSourceFile(file);
    if (typeof text !== 'string') throw new Error(`setSource('${file}', …): the text must be a string, got ${typeof text}`);
    if (get().files[file] === text) return;
    set((state) => ({ files: { ...state.files, [file]: text } }));
  },
  setActiveFile(file) {
    assertSourceFile(file);
    set({ activeFile: file });
  },
  setFiles(files) {
    for (const file of SOURCE_FILES) {
      if (typeof files[file] !== 'string') throw new Error(`setFiles: ${file} must be text`);
    }
    set({ files: { 'model.ts': files['model.ts'], 'qconfig.ts': files['qconfig.ts'] } });
  },
  loadExample(id) {
    const example = EXAMPLES.find((e) => e.id === id);
    if (!example) throw new Error(`Unknown example ${JSON.stringify(id)} (examples: ${EXAMPLES.map((e) => e.id).join(', ')})`);
    const current = get().files;
    if (SOURCE_FILES.every((f) => current[f] === example.files[f])) return;
    // Nothing to undo when the files were an unedited example: that example is one click away.
    const undo = matchingExample(current) ? null : { files: current, example: id };
    set({ files: { ...example.files }, undo, activeFile: 'model.ts' });
  },
  undoExample() {
    const undo = get().undo;
    if (!undo) return;
    set({ files: undo.files, undo: null });
  },
});
