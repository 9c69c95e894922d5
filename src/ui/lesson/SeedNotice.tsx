import { useReplay } from '../../app/recordings/replay-player-instance';
import { useShare } from '../../app/share/share';

/** The seed a recorded run or a link changed (or Stop watching put back), with role "status". */
export function SeedNotice() {
  const fromReplay = useReplay((s) => s.seedNotice);
  const dismissReplay = useReplay((s) => s.dismissSeedNotice);
  const fromLink = useShare((s) => s.seedNotice);
  const dismissLink = useShare((s) => s.dismissSeedNotice);
  const notice = fromReplay ?? fromLink;
  if (!notice) return null;
  return (
    <div className="seed-notice" role="status">
      <p>{notice}</p>
      <button
        type="button"
        className="quiet"
        onClick={fromReplay ? dismissReplay : dismissLink}
        aria-label="Dismiss the seed notice"
      >
        ×
      </button>
    </div>
  );
}
