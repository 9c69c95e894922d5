/** Types of find-browser.mjs (plain JS so that `node scripts/find-browser.mjs` runs it as is). */
export interface FoundBrowser {
  /** the executable, or null for Playwright's own download (Playwright picks its build itself) */
  path: string | null;
  /** where it was found: 'CHROMIUM_PATH', 'system', or Playwright's (with its path) */
  source: string;
}
export function findBrowser(env?: NodeJS.ProcessEnv): FoundBrowser | null;
export function noneFound(installTried: boolean, env?: NodeJS.ProcessEnv): string;
