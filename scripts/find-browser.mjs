#!/usr/bin/env node
/**
 * Finds the Chromium the end-to-end tests run in, and installs one when there is none.
 *
 * Looked for, in order: CHROMIUM_PATH; a system Chromium or Chrome on the PATH (chromium,
 * chromium-browser, google-chrome-stable, google-chrome); Playwright's own download
 * (PLAYWRIGHT_BROWSERS_PATH or its cache). playwright.config.ts imports `findBrowser` from here.
 *
 * Run as a script (`npm run test:e2e` does, before building): prints where the browser is and exits
 * 0. With `--install` and none found, it tries Playwright's download (`npx playwright install
 * chromium`), then, as root with apt-get, Debian's package; their output is kept back. When nothing
 * works it prints ONE line saying what to do and exits 1.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first `name` found executable on the PATH, or null. */
function onPath(name, env = process.env) {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return null;
}

/** Playwright's own Chromium, when it has been downloaded (null otherwise). */
function playwrightChromium() {
  try {
    const { chromium } = createRequire(import.meta.url)('playwright-core');
    const path = chromium.executablePath();
    return path && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

/**
 * Where the browser for the tests is: `{ path, source }`, or null when there is none.
 * `path` is null for Playwright's own browser (Playwright then picks its build itself).
 */
export function findBrowser(env = process.env) {
  if (env.CHROMIUM_PATH) {
    return executable(env.CHROMIUM_PATH) ? { path: env.CHROMIUM_PATH, source: 'CHROMIUM_PATH' } : null;
  }
  for (const name of SYSTEM_NAMES) {
    const path = onPath(name, env);
    if (path) return { path, source: 'system' };
  }
  const own = playwrightChromium();
  return own ? { path: null, source: `Playwright (${own})` } : null;
}

/** Run a command quietly; true when it exits 0. */
function quietly(command, args) {
  const r = spawnSync(command, args, { stdio: 'pipe', timeout: 15 * 60_000, env: process.env });
  return r.status === 0;
}

function install() {
  if (onPath('npx') && quietly('npx', ['playwright', 'install', 'chromium'])) {
    const found = findBrowser();
    if (found) return found;
  }
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && onPath('apt-get')) {
    process.env.DEBIAN_FRONTEND = 'noninteractive';
    if (quietly('apt-get', ['update', '-qq']) && quietly('apt-get', ['install', '-y', '-qq', 'chromium'])) {
      const found = findBrowser();
      if (found) return found;
    }
  }
  return null;
}

const HOW =
  'run `npx playwright install chromium` (needs the network), or as root on Debian/Ubuntu `apt-get install chromium`, or set CHROMIUM_PATH=/path/to/chromium; then run the tests again.';

/** The one line printed when there is no browser (after `--install` tried, or without it). */
export function noneFound(installTried, env = process.env) {
  if (env.CHROMIUM_PATH) {
    return `find-browser: CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable file: point it at Chromium, or unset it to look elsewhere.`;
  }
  return `find-browser: no Chromium for the end-to-end tests${installTried ? ' and none could be installed' : ''}: ${HOW}`;
}

function main() {
  const tryInstall = process.argv.includes('--install') && !process.env.CHROMIUM_PATH;
  let found = findBrowser();
  let how = 'found';
  if (!found && tryInstall) {
    found = install();
    how = 'installed';
  }
  if (!found) {
    console.error(noneFound(tryInstall));
    process.exit(1);
  }
  console.log(`find-browser: ${how} ${found.path ?? ''}${found.path ? ' ' : ''}(${found.source})`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
