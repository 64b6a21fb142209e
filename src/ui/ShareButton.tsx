import { useRef, useState } from 'react';

/**
 * Copies a link holding both files and every setting override. Where the clipboard is refused (no
 * permission, no secure context) the link is shown, selected, to copy by hand.
 */
export function ShareButton({ shareLink }: { shareLink: () => string }) {
  const [link, setLink] = useState<string | null>(null);
  const [copied, setCopied] = useState<boolean | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const share = async () => {
    const url = shareLink();
    setLink(url);
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
    } catch {
      setCopied(false);
    }
    requestAnimationFrame(() => input.current?.select());
  };
  return (
    <div className="share">
      <button type="button" className="header-button" data-testid="share.button" title="Copy a link with both files and your settings" onClick={() => void share()}>
        Share
      </button>
      {link !== null && (
        <div className="share-popover" role="dialog" aria-label="Share link" data-testid="share.popover">
          <p className="small">
            {copied ? 'Link copied.' : copied === false ? 'Copy this link:' : 'Link:'} It holds both files and your settings; opening it runs nothing until Run.
          </p>
          <input ref={input} readOnly value={link} data-testid="share.link" onFocus={(e) => e.target.select()} />
          <span className="muted small">{link.length.toLocaleString('en-US')} characters</span>
          <button type="button" className="button button-small" onClick={() => setLink(null)}>
            Close
          </button>
        </div>
      )}
    </div>
  );
}
