/**
 * scripts/find-browser.mjs, run as `npm run test:e2e` runs it: with the browsers hidden (an empty
 * PATH, Playwright's download folder pointed at an empty one, no CHROMIUM_PATH) it prints one line
 * saying what to do and exits 1, without trying installers it cannot reach; with CHROMIUM_PATH set
 * to an executable it takes that one.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../scripts/find-browser.mjs', import.meta.url));
const empty = mkdtempSync(join(tmpdir(), 'icl-no-browser-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

function run(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [script, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const hidden = { PATH: join(empty, 'bin'), HOME: empty, PLAYWRIGHT_BROWSERS_PATH: join(empty, 'browsers') };

describe('scripts/find-browser.mjs', () => {
  it('no browser anywhere: one line saying how, exit 1', () => {
    const r = run(hidden, '--install');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^find-browser: no Chromium for the end-to-end tests and none could be installed: /,
    );
    expect(lines[0]).toContain('npx playwright install chromium');
    expect(lines[0]).toContain('CHROMIUM_PATH=');
  });

  it('CHROMIUM_PATH wins when it is an executable, and is named when it is not', () => {
    const ok = run({ ...hidden, CHROMIUM_PATH: process.execPath });
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim()).toBe(`find-browser: found ${process.execPath} (CHROMIUM_PATH)`);
    const bad = run({ ...hidden, CHROMIUM_PATH: join(empty, 'nope') }, '--install');
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toMatch(/^find-browser: CHROMIUM_PATH=.*nope is not an executable file/);
  });

  it('finds a system Chromium on the PATH', () => {
    const bin = join(empty, 'fake-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'chromium'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(bin, 'chromium'), 0o755);
    const r = run({ ...hidden, PATH: `${join(empty, 'bin')}:${bin}` });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`find-browser: found ${join(bin, 'chromium')} (system)`);
  });
});
