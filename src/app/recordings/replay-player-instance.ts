/**
 * The page's replay player, wired to the page's stores and the live store's writer (src/app/index.ts),
 * and the hook components read it with. Replays are fetched from `replays/` beside the page; a
 * link with `?replay=<file>` plays that recorded run at once.
 */
import { useStore } from 'zustand';
import { experimentStore, labStore, liveStore, liveWriter } from '../index';
import { fetchBounded } from './fetch-bounded';
import { isReplayFileName, ReplayPlayer, type ReplayPlayerState } from './replay-player';

export const replayPlayer = new ReplayPlayer({
  live: liveStore,
  lab: labStore,
  experiment: experimentStore,
  writer: liveWriter,
  fetchBytes: (url) => fetchBounded(url),
  baseUrl: typeof location === 'undefined' ? 'replays/' : new URL('replays/', location.href).href,
});

export const replayStore = replayPlayer.store;

export const useReplay = <T>(selector: (s: ReplayPlayerState) => T): T => useStore(replayStore, selector);

/**
 * The recorded run a link asks for (`?replay=<file>`; anything that is not a plain file name is
 * passed on too, so the player says why it cannot play it). Null: none asked for.
 */
export function replayFromUrl(): string | null {
  if (typeof location === 'undefined') return null;
  const file = new URLSearchParams(location.search).get('replay');
  if (file === null) return null;
  return isReplayFileName(file) ? file : file.slice(0, 200);
}

/** A recorded run is loading or shown: the live controls (Train, Step, Reset, preset, settings) rest. */
export const isRecordingStatus = (status: ReplayPlayerState['status']): boolean =>
  status === 'loading' || status === 'playing' || status === 'paused';

export const useRecording = (): boolean => useReplay((s) => isRecordingStatus(s.status));
