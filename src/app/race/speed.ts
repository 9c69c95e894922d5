/**
 * The Speed control's choices: a least time between two training steps, kept by the training
 * workers themselves (src/workers/training/session.ts), so a class can watch the curves move.
 * Not part of the experiment: it changes neither the data stream nor the results, only the pace.
 */

export interface SpeedChoice {
  /** least time between the starts of two steps (ms; 0: as fast as the device goes) */
  intervalMs: number;
  label: string;
}

export const SPEED_CHOICES: readonly SpeedChoice[] = [
  { intervalMs: 0, label: 'Full speed' },
  { intervalMs: 100, label: '10 steps/s' },
  { intervalMs: 500, label: '2 steps/s' },
  { intervalMs: 2000, label: 'Slow motion (1 step every 2 s)' },
];
