import { useEffect, useRef, useState } from 'react';
import { EXAMPLES } from '../dsl/examples';
import { matchingExample } from '../store/code';
import { useApp, useAppStore } from './StoreContext';

/** The examples gallery: one click loads an example; edited files are kept for one undo. */
export function ExamplesMenu() {
  const store = useAppStore();
  const [open, setOpen] = useState(false);
  const current = useApp((s) => matchingExample(s.files));
  const undo = useApp((s) => s.undo);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);
  return (
    <div className="examples" ref={root}>
      <button type="button" className="header-button" aria-expanded={open} data-testid="examples.button" onClick={() => setOpen(!open)}>
        Examples ▾
      </button>
      {undo && (
        <button
          type="button"
          className="header-button header-button-quiet"
          data-testid="examples.undo"
          title="Put back the files you had before loading the example"
          onClick={() => store.getState().undoExample()}
        >
          Undo example
        </button>
      )}
      {open && (
        <ul className="examples-menu" role="menu" data-testid="examples.menu">
          {EXAMPLES.map((example) => (
            <li key={example.id} role="none">
              <button
                type="button"
                role="menuitem"
                data-testid={`examples.item.${example.id}`}
                aria-current={current === example.id}
                onClick={() => {
                  store.getState().loadExample(example.id);
                  setOpen(false);
                }}
              >
                <strong>{example.title}</strong>
                <span className="muted small">{example.description}</span>
              </button>
            </li>
          ))}
          <li role="none" className="muted small examples-foot">
            Loading an example keeps your edited files: "Undo example" puts them back.
          </li>
        </ul>
      )}
    </div>
  );
}
