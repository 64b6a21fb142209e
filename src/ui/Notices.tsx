import { useApp } from './StoreContext';

/** Page-wide messages: a share link that could not be read, a copied link, storage problems. */
export function Notices() {
  const notices = useApp((s) => s.notices);
  const dismiss = useApp((s) => s.dismissNotice);
  if (notices.length === 0) return null;
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice-bar notice-bar-${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'} data-testid="notice" data-kind={n.kind}>
          <span className="notice-text">{n.text}</span>
          {n.action && (
            <button
              type="button"
              className="button button-small"
              data-testid="notice.action"
              onClick={() => {
                n.action!.run();
                dismiss(n.id);
              }}
            >
              {n.action.label}
            </button>
          )}
          <button type="button" className="notice-close" aria-label="Dismiss" data-testid="notice.dismiss" onClick={() => dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
