/**
 * The measured Table 1 of the site (public/table1.json), loaded once when the view opens and read
 * through the schema: a clear message when the file is missing, not JSON, or not a Table 1 file.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Table1 } from '../../formats/table1';
import { parseTable1 } from './table1-view';

export interface Table1State {
  status: 'idle' | 'loading' | 'ready' | 'error';
  table: Table1 | null;
  /** why there is no table (shown with role "alert") */
  error: string | null;
  /** Load the file (once; again after an error). */
  load(): Promise<void>;
}

/** The file's text, or null when the site has no such file (404, or a page served in its place). */
export type FetchText = (url: string) => Promise<string | null>;

/** The largest table1.json accepted (a full sweep is a few hundred kB). */
export const MAX_TABLE1_BYTES = 4 << 20;

export const MISSING_TABLE1 =
  'The measured Table 1 is not on this site yet (table1.json is missing). It is written by ' +
  '`npm run cli -- table1 --from DIR --json public/table1.json` after a sweep (docs/TABLE1.md).';

export function createTable1Store(fetchText: FetchText, url: string): StoreApi<Table1State> {
  const store = createStore<Table1State>()((set, get) => ({
    status: 'idle',
    table: null,
    error: null,
    load: async () => {
      const s = get().status;
      if (s === 'loading' || s === 'ready') return;
      set({ status: 'loading', error: null });
      let text: string | null;
      try {
        text = await fetchText(url);
      } catch (e) {
        set({ status: 'error', error: `table1.json could not be loaded: ${(e as Error).message}.` });
        return;
      }
      // a missing file may come back as the page itself (a single-page server)
      if (text === null || text.trimStart().startsWith('<')) {
        set({ status: 'error', error: MISSING_TABLE1 });
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        set({ status: 'error', error: `table1.json is not JSON: ${(e as Error).message}.` });
        return;
      }
      const parsed = parseTable1(json);
      if (parsed.ok) set({ status: 'ready', table: parsed.table, error: null });
      else set({ status: 'error', error: parsed.error });
    },
  }));
  return store;
}

/** The page's fetch of the file: null on 404, the text within the size bound. */
export async function fetchTable1Text(url: string): Promise<string | null> {
  const res = await fetch(url, { cache: 'no-cache' });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`the server answered ${res.status}`);
  const text = await res.text();
  if (text.length > MAX_TABLE1_BYTES) throw new Error(`it is larger than ${MAX_TABLE1_BYTES} bytes`);
  return text;
}
