/** The page's Table 1 store (table1.json beside the page) and its hook. */
import { useStore } from 'zustand';
import { createTable1Store, fetchTable1Text, type Table1State } from './table1-store';

export const table1Store = createTable1Store(
  fetchTable1Text,
  typeof location === 'undefined' ? 'table1.json' : new URL('table1.json', location.href).href,
);

export const useTable1 = <T>(selector: (s: Table1State) => T): T => useStore(table1Store, selector);
