/**
 * Small state in localStorage (editor text, active file, setting overrides), written a moment after
 * each change; large results in IndexedDB (results.ts). The startup order is: a share link in the
 * hash, then the saved session, then the default example.
 */
import { DEFAULT_SOURCES, SOURCE_FILES, type SourceFile } from '../editor/defaultSources';
import { readShareLocation } from '../share/link';
import { emptyOverrides, mergeOverrides, validateOverrides, type SettingsOverrides } from '../store/settings';

export const SESSION_KEY = 'qat-playground:session:v1';

export interface SessionState {
  files: Record<SourceFile, string>;
  activeFile: SourceFile;
  settings: SettingsOverrides;
}

export type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function saveSession(storage: StorageLike, session: SessionState): string | null {
  try {
    storage.setItem(SESSION_KEY, JSON.stringify({ v: 1, ...session }));
    return null;
  } catch (error) {
    // Quota or private mode: the page works on, it only forgets on reload.
    return `Could not save the editor text in this browser's storage: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** The saved session, or null (nothing saved, or saved by an incompatible version, or damaged). */
export function loadSession(storage: StorageLike): SessionState | null {
  let raw: string | null;
  try {
    raw = storage.getItem(SESSION_KEY);
  } catch {
    return null;
  }
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as Record<string, unknown>;
    if (parsed.v !== 1) return null;
    const files = parsed.files as Record<string, unknown>;
    if (!files || SOURCE_FILES.some((f) => typeof files[f] !== 'string')) return null;
    const activeFile = SOURCE_FILES.includes(parsed.activeFile as SourceFile) ? (parsed.activeFile as SourceFile) : 'model.ts';
    const settings = mergeOverrides(emptyOverrides(), validateOverrides(parsed.settings ?? {}));
    return { files: { 'model.ts': files['model.ts'] as string, 'qconfig.ts': files['qconfig.ts'] as string }, activeFile, settings };
  } catch {
    return null;
  }
}

export interface Startup {
  session: SessionState;
  /** Where the state came from. */
  source: 'link' | 'saved' | 'default';
  /** A message for the page (a link that could not be read). */
  notice: { kind: 'error' | 'info'; text: string } | null;
  /** The saved session a link replaced, so the page can offer to restore it. */
  replaced: SessionState | null;
}

/** Decides the starting state from the location's hash and the saved session. Runs nothing. */
export function startupState(location: Pick<Location, 'hash'>, storage: StorageLike): Startup {
  const saved = loadSession(storage);
  const share = readShareLocation(location);
  const defaults: SessionState = { files: { ...DEFAULT_SOURCES }, activeFile: 'model.ts', settings: emptyOverrides() };
  switch (share.kind) {
    case 'state':
      return {
        session: { files: share.state.files, activeFile: 'model.ts', settings: share.state.settings },
        source: 'link',
        notice: { kind: 'info', text: 'Opened a shared link: the code and settings are loaded and nothing has run. Press Run when you have read the code.' },
        replaced: saved,
      };
    case 'error':
      return { session: defaults, source: 'default', notice: { kind: 'error', text: share.message }, replaced: saved };
    case 'none':
      return saved ? { session: saved, source: 'saved', notice: null, replaced: null } : { session: defaults, source: 'default', notice: null, replaced: null };
  }
}
