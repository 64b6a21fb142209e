/**
 * Keyboard shortcuts: the same store actions as the buttons. Alt+1 / Alt+2 show model.ts / qconfig.ts;
 * Ctrl+Shift+Enter (⌘⇧Enter) checks the code.
 */
import { SOURCE_FILES } from '../editor/defaultSources';
import type { AppStore } from '../store';

export function installShortcuts(store: AppStore, target: Window = window): () => void {
  const onKeyDown = (event: KeyboardEvent) => {
    if ((event.ctrlKey || event.metaKey) && event.shiftKey && !event.altKey && event.code === 'Enter') {
      event.preventDefault();
      void store.getState().checkCode({ force: true }).catch(() => {
        // The pipeline panel shows what went wrong.
      });
      return;
    }
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const digit = /^Digit([1-9])$/.exec(event.code);
    const file = digit ? SOURCE_FILES[Number(digit[1]) - 1] : undefined;
    if (!file) return;
    event.preventDefault();
    store.getState().setActiveFile(file);
  };
  target.addEventListener('keydown', onKeyDown, { capture: true });
  return () => target.removeEventListener('keydown', onKeyDown, { capture: true });
}
