/**
 * Holds: the page asks a training worker to start no new step for a moment, so that a redraw of
 * its charts gets a CPU core at once.
 *
 * Why: on a machine with fewer cores than training workers (2 cores, three wasm models), every core
 * is busy with a step when a chart redraws; the page's task then waits for a core most of its wall
 * time (bench/RESULTS.md: 19 ms of CPU in a 57 ms task). The page posts `{ iclHold: ms }` before
 * such a redraw and `{ iclHold: 0 }` once it is drawn; the worker finishes the step in progress
 * and waits between steps (TrainingSession.hold). Outside comlink, like the heartbeat: a one-way
 * message, no answer for the page to handle.
 *
 * A hold never lasts longer than MAX_HOLD_MS, whatever was asked: a lost release (a page that went
 * away, a redraw that never came) costs at most that much training time.
 */

/**
 * The longest hold a worker keeps (ms): the page's budget for a task. A redraw that needs longer
 * is a long task whether the workers wait or not; holding them on would only cost training time.
 */
export const MAX_HOLD_MS = 50;

/** The message that holds a worker for `ms` (0: ends the hold). */
export function holdMessage(ms: number): { iclHold: number } {
  return { iclHold: ms };
}

/** The hold a message asks for (ms, 0 for a release), or null when it is not a hold. */
export function holdOf(data: unknown): number | null {
  if (!data || typeof data !== 'object' || !('iclHold' in data)) return null;
  const ms = (data as { iclHold: unknown }).iclHold;
  return typeof ms === 'number' && Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_HOLD_MS) : null;
}

/** The worker's side: every hold message is passed on to `hold` (a TrainingSession's). */
export function obeyHolds(
  scope: { addEventListener(type: 'message', fn: (event: MessageEvent) => void): void },
  hold: (ms: number) => void,
): void {
  scope.addEventListener('message', (event: MessageEvent) => {
    const ms = holdOf(event.data);
    if (ms !== null) hold(ms);
  });
}
