/**
 * How the race recovers, as small pure pieces: which crashes restart a worker by themselves (a
 * worker that stopped answering, a lost GPU device; at most `AUTO_RESTARTS` times per model in a
 * race, so a fault that keeps coming back waits for the notice's button), the alert that stays, and
 * when a fresh checkpoint is due while training (the page asks the workers every
 * `CHECKPOINT_EVERY_MS`, and when it is hidden, so a reload or a closed tab loses little).
 */
import type { CrashCause } from '../../workers/training/client';
import { PERIODIC_CHECKPOINT_MS } from '../../workers/training/live-checkpoint';

/** A model's worker is restarted by itself at most this often in one race (then: the button). */
export const AUTO_RESTARTS = 3;

/** While training, every model's checkpoint is fetched at least this often (ms; the worker uses it to say how much a reload can lose). */
export const CHECKPOINT_EVERY_MS = PERIODIC_CHECKPOINT_MS;

export class AutoRestarts {
  private readonly counts = new Map<string, number>();
  constructor(private readonly limit = AUTO_RESTARTS) {}

  /** Whether the crash of model `key` (for `cause`) restarts it now; counts the restart. */
  allow(key: string, cause: CrashCause | undefined): boolean {
    if (cause !== 'hung' && cause !== 'gpu-lost') return false;
    const n = this.counts.get(key) ?? 0;
    if (n >= this.limit) return false;
    this.counts.set(key, n + 1);
    return true;
  }

  /** A fresh race (Reset, another run): every model may be restarted again. */
  clear(): void {
    this.counts.clear();
  }
}

/** The alert kept after an automatic restart: which model, what happened, where it went on from. */
export function restartMessage(
  title: string,
  cause: CrashCause | undefined,
  message: string,
  checkpointStep: number | null,
): string {
  const from =
    checkpointStep !== null ? `its last checkpoint (step ${checkpointStep})` : 'its initialisation';
  const what = cause === 'hung' ? `${title}'s worker ${message}` : `${title}: ${message}`;
  return `${what}. Its worker was restarted from ${from}.`;
}
