/**
 * What the browser benches share: a private copy of the built app, served by `vite preview` on a
 * port, and a headless Chromium (the system one or Playwright's) with WebGPU's flag unless told not.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { findBrowser } from '../scripts/find-browser.mjs';

/**
 * A private copy of the build: the checkout is shared, and a `vite build` by someone else during
 * the run would replace dist/ (and the source maps the attribution reads) under the page.
 */
export function snapshotBuild(root) {
  const from = join(root, 'dist');
  if (!existsSync(join(from, 'index.html'))) throw new Error('dist/ is missing: run `vite build` first');
  const to = mkdtempSync(join(tmpdir(), 'icl-bench-dist-'));
  cpSync(from, to, { recursive: true });
  return to;
}

/** `vite preview` of `dist` on `port`; resolves once it answers, with its URL and a stop function. */
export async function serve(root, dist, port) {
  const child = spawn(
    'npx',
    ['vite', 'preview', '--outDir', dist, '--port', String(port), '--strictPort', '--host', '127.0.0.1'],
    { cwd: root, stdio: 'ignore', detached: true },
  );
  // the whole process group: npx and the vite it starts
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).ok) return { stop, url };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  stop();
  throw new Error('vite preview did not start');
}

/** Headless Chromium; `webgpu` adds --enable-unsafe-webgpu (SwiftShader's adapter without a GPU). */
export function launchBrowser(webgpu) {
  const executablePath = findBrowser()?.path ?? undefined;
  const args = [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ];
  if (webgpu) args.push('--enable-unsafe-webgpu');
  return chromium.launch({ executablePath, args, headless: true });
}
