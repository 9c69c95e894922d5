import { useReplay } from '../../app/recordings/replay-player-instance';

/** The seed a recorded run changed (or Stop watching put back), with role "status". */
export function SeedNotice() {
  const notice = useReplay((s) => s.seedNotice);
  const dismiss = useReplay((s) => s.dismissSeedNotice);
  if (!notice) return null;
  return (
    <div className="seed-notice" role="status">
      <p>{notice}</p>
      <button type="button" className="quiet" onClick={dismiss} aria-label="Dismiss the seed notice">
        ×
      </button>
    </div>
  );
}
