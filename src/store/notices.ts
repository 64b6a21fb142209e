/** Messages the page shows above everything (a share link that could not be read, a copied link). */
import type { SliceCreator } from './types';

export interface Notice {
  id: number;
  kind: 'info' | 'warning' | 'error';
  text: string;
  /** A button on the notice (e.g. "Restore my previous files"). */
  action?: { label: string; run: () => void };
}

export interface NoticesSlice {
  notices: Notice[];
  notify(kind: Notice['kind'], text: string, action?: Notice['action']): number;
  dismissNotice(id: number): void;
}

let nextNotice = 1;

export const createNoticesSlice: SliceCreator<NoticesSlice> = () => (set) => ({
  notices: [],
  notify(kind, text, action) {
    const id = nextNotice++;
    set((state) => ({ notices: [...state.notices.slice(-4), { id, kind, text, ...(action ? { action } : {}) }] }));
    return id;
  },
  dismissNotice(id) {
    set((state) => ({ notices: state.notices.filter((n) => n.id !== id) }));
  },
});
