import { useShare } from '../../app/share/share';

/** What was wrong with the link this page was opened with (role "alert", dismissible). */
export function LinkNotice() {
  const warnings = useShare((s) => s.linkWarnings);
  const dismiss = useShare((s) => s.dismissLinkWarnings);
  if (!warnings) return null;
  return (
    <div className="alert link-notice" role="alert">
      <div className="link-notice-text">
        <p>
          <strong>This link could not be opened exactly as it was.</strong> It looks edited by hand or cut
          short, so the nearest valid experiment was opened instead. What was wrong:
        </p>
        <ul>
          {warnings.map((w) => (
            <li key={w}>{w.replace(/^link: /, '')}</li>
          ))}
        </ul>
      </div>
      <button type="button" className="quiet" onClick={dismiss} aria-label="Dismiss the link notice">
        ×
      </button>
    </div>
  );
}
