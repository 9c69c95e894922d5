/**
 * The page's share and export wiring: the share store, the URL sync (fragment <-> stores) and the
 * exports, bound to the page's stores and race controller (src/app/index.ts). Kept apart from
 * index.ts so that the page's other stores do not depend on it.
 */
import { useStore } from 'zustand';
import { encodeShareFragment, type ViewLink } from '../../formats/share-link';
import { experimentStore, labStore, liveStore, race } from '../index';
import { buildExperiment, defaultDraft } from '../stores/experiment-store';
import { createExports } from './exports';
import { createShareStore, type ShareState } from './share-store';
import { browserClipboard, browserUrl, createUrlSync, withFragment } from './url-sync';

export const shareStore = createShareStore();

let viewOpener: ((view: ViewLink) => void) | null = null;
/** Who opens a view link (#lesson=..., #replay=...): the lesson wiring registers itself (src/app/lesson/lesson-instance.ts). */
export function setViewOpener(open: (view: ViewLink) => void): void {
  viewOpener = open;
}

export const urlSync = createUrlSync({
  experiment: experimentStore,
  share: shareStore,
  url: browserUrl(),
  clipboard: browserClipboard(),
  fallback: () => buildExperiment(defaultDraft()).experiment,
  openView: (view) => viewOpener?.(view),
});

export const exporter = createExports({
  experiment: experimentStore,
  live: liveStore,
  lab: labStore,
  checkpoint: (slot) => race.exportCheckpoint(slot),
  link: (e) => withFragment(window.location.href, encodeShareFragment(e)),
});

export const useShare = <T>(selector: (s: ShareState) => T): T => useStore(shareStore, selector);
