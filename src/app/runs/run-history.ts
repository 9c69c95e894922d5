/**
 * The run history's derived facts, pure: each run's colour (an index into the theme's series
 * palette, stable while other runs come and go), what changed from the run before it, and which two
 * runs the comparison shows by default.
 */
import { diffLabel } from '../../schema/experiment-diff';
import type { RunSummary } from '../stores/runs-store';

export interface HistoryEntry {
  id: string;
  /** index into the palette */
  colorIndex: number;
  /** the run created just before this one (null for the oldest) */
  previousId: string | null;
  /** what differs from the previous run; null for the oldest */
  change: string | null;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

const byCreation = (runs: readonly RunSummary[]) =>
  [...runs].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/**
 * A colour per run: the run id's hash picks a colour; a colour an older run already has moves it on
 * to the next free one. Deleting a run changes no other run's colour unless they had collided.
 */
export function runColorIndices(runs: readonly RunSummary[], paletteSize: number): Map<string, number> {
  const out = new Map<string, number>();
  if (paletteSize < 1) return out;
  let used = new Set<number>();
  for (const run of byCreation(runs)) {
    if (used.size >= paletteSize) used = new Set();
    let i = hash(run.id) % paletteSize;
    while (used.has(i)) i = (i + 1) % paletteSize;
    used.add(i);
    out.set(run.id, i);
  }
  return out;
}

/** Every run's entry, keyed by id. */
export function runHistory(runs: readonly RunSummary[], paletteSize: number): Map<string, HistoryEntry> {
  const colors = runColorIndices(runs, paletteSize);
  const ordered = byCreation(runs);
  const out = new Map<string, HistoryEntry>();
  ordered.forEach((run, i) => {
    const previous = i > 0 ? ordered[i - 1] : null;
    out.set(run.id, {
      id: run.id,
      colorIndex: colors.get(run.id) ?? 0,
      previousId: previous?.id ?? null,
      change: previous ? diffLabel(previous.experiment, run.experiment) : null,
    });
  });
  return out;
}

/**
 * The two runs to compare: the chosen ones while they exist and differ, else the newest run and the
 * one before it. Null with fewer than two runs.
 */
export function comparePair(
  runs: readonly RunSummary[],
  chosen: readonly [string | null, string | null],
): [string, string] | null {
  if (runs.length < 2) return null;
  const newestFirst = byCreation(runs)
    .map((r) => r.id)
    .reverse();
  const exists = (id: string | null): id is string => id !== null && newestFirst.includes(id);
  const a0 = exists(chosen[0]) ? chosen[0] : null;
  const b = exists(chosen[1]) && chosen[1] !== a0 ? chosen[1] : newestFirst.find((id) => id !== a0)!;
  const a = a0 ?? newestFirst.find((id) => id !== b)!;
  return [a, b];
}
