/**
 * The share store: what the URL fragment said (classroom locks and hidden panels, problems with the
 * link opened) and the last link made. Written by the URL sync (src/app/share/url-sync.ts); the UI reads
 * it, dismisses the link notice and closes the last link's confirmation.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Classroom } from './classroom';

export interface MadeLink {
  url: string;
  /** true: on the clipboard; false: the page shows the URL to copy by hand */
  copied: boolean;
  /** the link carries classroom locks / hidden panels */
  classroom: boolean;
}

export interface ShareState {
  /** the classroom options in force (null: everything shown, nothing locked) */
  classroom: Classroom | null;
  /** what was wrong with the link this page was opened with (null: nothing, or dismissed) */
  linkWarnings: string[] | null;
  lastLink: MadeLink | null;
  /** the seed a link changed (shown with role "status"; null: none, or dismissed) */
  seedNotice: string | null;
  dismissLinkWarnings(): void;
  dismissSeedNotice(): void;
  dismissLastLink(): void;
}

export function createShareStore(): StoreApi<ShareState> {
  return createStore<ShareState>()((set) => ({
    classroom: null,
    linkWarnings: null,
    lastLink: null,
    seedNotice: null,
    dismissLinkWarnings: () => set({ linkWarnings: null }),
    dismissSeedNotice: () => set({ seedNotice: null }),
    dismissLastLink: () => set({ lastLink: null }),
  }));
}
