/** The two editor files and which one is shown. */
import { DEFAULT_SOURCES, SOURCE_FILES, type SourceFile } from '../editor/defaultSources';
import type { SliceCreator } from './types';

export interface CodeSlice {
  files: Record<SourceFile, string>;
  activeFile: SourceFile;
  setSource(file: SourceFile, text: string): void;
  setActiveFile(file: SourceFile): void;
}

export function assertSourceFile(file: unknown): asserts file is SourceFile {
  if (!SOURCE_FILES.includes(file as SourceFile)) {
    throw new Error(`Unknown file ${JSON.stringify(file)}: the editor has ${SOURCE_FILES.map((f) => `'${f}'`).join(' and ')}`);
  }
}

export const createCodeSlice: SliceCreator<CodeSlice> = () => (set, get) => ({
  files: { ...DEFAULT_SOURCES },
  activeFile: 'model.ts',
  setSource(file, text) {
    assertSourceFile(file);
    if (typeof text !== 'string') throw new Error(`setSource('${file}', …): the text must be a string, got ${typeof text}`);
    if (get().files[file] === text) return;
    set((state) => ({ files: { ...state.files, [file]: text } }));
    get().invalidateStages();
  },
  setActiveFile(file) {
    assertSourceFile(file);
    set({ activeFile: file });
  },
});
