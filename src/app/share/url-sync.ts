/**
 * The URL fragment and the stores, kept in step.
 *
 * - On start and on every `hashchange`, the fragment is decoded (src/formats/share-link.ts): the
 *   experiment store gets the decoded experiment (so the same seed gives the same data stream), the
 *   share store the classroom options in force and whatever was wrong with the link.
 * - `share()` writes the experiment (and, for a classroom link, its locks and hidden panels) into the
 *   fragment with history.replaceState and copies the URL to the clipboard when the browser lets it;
 *   otherwise the URL is kept for the page to show.
 * - Once the fragment holds an experiment (a link was opened or made), later changes of the
 *   experiment rewrite it, so a reload opens what is shown.
 * Nothing here throws: a bad link opens the nearest valid experiment with a readable message.
 */
import type { StoreApi } from 'zustand/vanilla';
import {
  decodeShareFragment,
  decodeViewFragment,
  encodeShareFragment,
  encodeViewFragment,
  type ViewLink,
} from '../../formats/share-link';
import type { Experiment } from '../../schema/experiment';
import type { ExperimentState } from '../stores/experiment-store';
import { type Classroom, readClassroom } from './classroom';
import type { MadeLink, ShareState } from './share-store';

/** The page's address, as far as the sync needs it. */
export interface UrlPort {
  href(): string;
  /** Replace the fragment ('' removes it) without navigating or adding a history entry. */
  replaceFragment(fragment: string): void;
  /** Call `listener` when the fragment changes by navigation; returns the unsubscribe. */
  onHashChange(listener: () => void): () => void;
}

export interface ClipboardPort {
  writeText(text: string): Promise<void>;
}

export interface UrlSyncDeps {
  experiment: StoreApi<ExperimentState>;
  share: StoreApi<ShareState>;
  url: UrlPort;
  clipboard: ClipboardPort | null;
  /** what an unreadable link opens: the page's default experiment (absent: the schema's default) */
  fallback?: () => Experiment | null;
  /** open a lesson step or a recorded run that a view link names (#lesson=..., #replay=...) */
  openView?: (view: ViewLink) => void;
}

export interface UrlSync {
  /** Apply the current fragment and follow it from now on; returns the stop function. */
  start(): () => void;
  /** Apply a fragment (with or without '#'). */
  apply(fragment: string): void;
  /**
   * Put the experiment in the fragment and copy the URL. `classroom`: the link's locks and hidden
   * panels (undefined: those in force on this page, null: none). Resolves to null when the settings
   * are not a valid experiment.
   */
  share(classroom?: Classroom | null): Promise<MadeLink | null>;
  /** Unlock everything and show every panel (and drop them from the fragment). */
  leaveClassroom(): void;
  /**
   * Put a view (a lesson step, a recorded run) in the fragment, with the classroom options in force
   * (`classroom`: those of a classroom link being made; null: none), and copy the URL when asked.
   */
  shareView(view: ViewLink, classroom?: Classroom | null, copy?: boolean): Promise<MadeLink>;
  /** The view is over: the address goes back to the experiment shown (with the classroom in force) or to none. */
  clearView(): void;
}

/** The fragment of a URL, without '#'. */
export function fragmentOf(href: string): string {
  const i = href.indexOf('#');
  return i < 0 ? '' : href.slice(i + 1);
}

/** `href` with its fragment replaced ('' removes it). */
export function withFragment(href: string, fragment: string): string {
  const i = href.indexOf('#');
  const base = i < 0 ? href : href.slice(0, i);
  return fragment ? `${base}#${fragment}` : base;
}

export function createUrlSync(deps: UrlSyncDeps): UrlSync {
  const { experiment, share, url } = deps;
  /** the fragment holds an experiment that follows the store */
  let following = false;
  /** the classroom options the fragment carries (may differ from those in force: a teacher's link) */
  let linkClassroom: Classroom | null = null;
  /** set while the sync itself loads an experiment (its own change is not written back twice) */
  let applying = false;

  const write = (e: Experiment) => {
    const fragment = encodeShareFragment(e, linkClassroom ?? undefined);
    if (fragment !== fragmentOf(url.href())) url.replaceFragment(fragment);
  };

  const apply = (fragment: string) => {
    const decoded = decodeShareFragment(fragment);
    const view = decoded ? null : decodeViewFragment(fragment);
    if (view) {
      const room = view.classroom ? readClassroom(view.classroom) : { classroom: null, warnings: [] };
      following = false;
      linkClassroom = room.classroom;
      const warnings = [...view.warnings, ...room.warnings];
      share.setState({ classroom: room.classroom, linkWarnings: warnings.length ? warnings : null });
      deps.openView?.(view.view);
      return;
    }
    if (!decoded) {
      // a plain address (or an anchor): nothing to load, nothing locked
      following = false;
      linkClassroom = null;
      share.setState({ classroom: null });
      return;
    }
    const room = decoded.classroom ? readClassroom(decoded.classroom) : { classroom: null, warnings: [] };
    const target = (decoded.unreadable && deps.fallback?.()) || decoded.experiment;
    const seedBefore = experiment.getState().draft.seed;
    applying = true;
    try {
      experiment.getState().load(target);
    } finally {
      applying = false;
    }
    const warnings = [...decoded.warnings, ...room.warnings];
    share.setState({
      classroom: room.classroom,
      linkWarnings: warnings.length ? warnings : null,
      seedNotice:
        target.seed === seedBefore
          ? null
          : `This link uses seed ${target.seed}; the page had seed ${seedBefore}.`,
    });
    following = true;
    linkClassroom = room.classroom;
    // the address now says what is open (a repaired link is rewritten to the experiment shown)
    write(target);
  };

  const onExperiment = (s: ExperimentState, prev: ExperimentState) => {
    if (applying || !following || !s.experiment || s.experiment === prev.experiment) return;
    write(s.experiment);
  };

  return {
    start() {
      apply(fragmentOf(url.href()));
      const unsubscribe = experiment.subscribe(onExperiment);
      const stopHash = url.onHashChange(() => apply(fragmentOf(url.href())));
      return () => {
        unsubscribe();
        stopHash();
      };
    },
    apply,
    async share(classroom) {
      const e = experiment.getState().experiment;
      if (!e) return null;
      linkClassroom = classroom === undefined ? share.getState().classroom : classroom;
      following = true;
      write(e);
      const link = url.href();
      let copied = false;
      if (deps.clipboard) {
        try {
          await deps.clipboard.writeText(link);
          copied = true;
        } catch {
          copied = false;
        }
      }
      const made: MadeLink = { url: link, copied, classroom: linkClassroom !== null };
      share.setState({ lastLink: made });
      return made;
    },
    async shareView(view, classroom, copy = true) {
      linkClassroom = classroom === undefined ? share.getState().classroom : classroom;
      following = false;
      const fragment = encodeViewFragment(view, linkClassroom ?? undefined);
      if (fragment !== fragmentOf(url.href())) url.replaceFragment(fragment);
      const link = url.href();
      let copied = false;
      if (copy && deps.clipboard) {
        try {
          await deps.clipboard.writeText(link);
          copied = true;
        } catch {
          copied = false;
        }
      }
      const made: MadeLink = { url: link, copied, classroom: linkClassroom !== null };
      if (copy) share.setState({ lastLink: made });
      return made;
    },
    clearView() {
      if (!decodeViewFragment(fragmentOf(url.href()))) return;
      const e = experiment.getState().experiment;
      if (linkClassroom && e) {
        following = true;
        write(e);
      } else url.replaceFragment('');
    },
    leaveClassroom() {
      linkClassroom = null;
      share.setState({ classroom: null });
      const e = experiment.getState().experiment;
      if (following && e) write(e);
    },
  };
}

/** The browser's address bar. */
export function browserUrl(): UrlPort {
  return {
    href: () => window.location.href,
    replaceFragment(fragment) {
      window.history.replaceState(window.history.state, '', withFragment(window.location.href, fragment));
    },
    onHashChange(listener) {
      window.addEventListener('hashchange', listener);
      return () => window.removeEventListener('hashchange', listener);
    },
  };
}

/** The async clipboard, where the browser has one (it may still refuse: share() falls back). */
export function browserClipboard(): ClipboardPort | null {
  const clipboard = typeof navigator !== 'undefined' ? navigator.clipboard : undefined;
  if (!clipboard?.writeText) return null;
  return { writeText: (text) => clipboard.writeText(text) };
}
