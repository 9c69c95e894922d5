/**
 * The headers are really sent: a `vite preview` and a `vite dev` server are started on a small site
 * in a temporary folder with the plugin of server-headers.ts, and their responses are read. Also: the
 * project's vite.config.ts uses the plugin and builds no source maps, and public/_headers (static
 * hosts) says the same as this module.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, preview, resolveConfig } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTENT_TYPES,
  contentTypeOf,
  DEV_HEADERS,
  SECURITY_HEADERS,
  securityHeaders,
} from './server-headers';

const root = mkdtempSync(join(tmpdir(), 'icl-headers-'));
const dist = join(root, 'dist');

beforeAll(() => {
  mkdirSync(join(dist, 'assets'), { recursive: true });
  mkdirSync(join(dist, 'replays'), { recursive: true });
  const html = '<!doctype html><html><head><title>t</title></head><body><p>hi</p></body></html>';
  writeFileSync(join(root, 'index.html'), html);
  writeFileSync(join(dist, 'index.html'), html);
  writeFileSync(join(dist, 'replays', 'run.iclreplay'), new Uint8Array([0x1f, 0x8b, 8, 0]));
  writeFileSync(join(dist, 'assets', 'tfjs-backend-wasm.wasm'), new Uint8Array([0, 0x61, 0x73, 0x6d]));
  writeFileSync(join(dist, 'assets', 'index.js'), 'console.log(1)');
  writeFileSync(join(dist, 'assets', 'index.js.map'), '{"version":3}');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const urlOf = (address: AddressInfo | string | null | undefined) => {
  if (!address || typeof address === 'string') throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
};

describe('vite preview (npm start)', () => {
  it('sends the security headers, our content types, and no source maps', async () => {
    const server = await preview({
      configFile: false,
      root,
      logLevel: 'silent',
      plugins: [securityHeaders()],
      build: { outDir: 'dist' },
      preview: { port: 0, host: '127.0.0.1' },
    });
    try {
      const base = urlOf(server.httpServer.address());
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      for (const [name, value] of Object.entries(SECURITY_HEADERS))
        expect(page.headers.get(name)).toBe(value);
      expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self'/);
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');

      const replay = await fetch(`${base}/replays/run.iclreplay`);
      expect(replay.status).toBe(200);
      expect(replay.headers.get('content-type')).toBe('application/octet-stream');
      expect(replay.headers.get('content-encoding')).toBeNull();
      expect(new Uint8Array(await replay.arrayBuffer())).toEqual(new Uint8Array([0x1f, 0x8b, 8, 0]));

      const wasm = await fetch(`${base}/assets/tfjs-backend-wasm.wasm`);
      expect(wasm.headers.get('content-type')).toBe('application/wasm');
      const js = await fetch(`${base}/assets/index.js`);
      expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(js.headers.get('x-content-type-options')).toBe('nosniff');

      const map = await fetch(`${base}/assets/index.js.map`);
      expect(map.status).toBe(404);
      expect(await map.text()).not.toContain('version');
    } finally {
      await server.close();
    }
  });
});

describe('vite dev', () => {
  it('sends the headers too (a CSP without the script rules the dev client breaks)', async () => {
    const server = await createServer({
      configFile: false,
      root,
      logLevel: 'silent',
      plugins: [securityHeaders()],
      server: { port: 0, host: '127.0.0.1', ws: false },
      optimizeDeps: { noDiscovery: true, include: [] },
    });
    try {
      await server.listen();
      const page = await fetch(`${urlOf(server.httpServer?.address())}/`);
      expect(page.status).toBe(200);
      for (const [name, value] of Object.entries(DEV_HEADERS)) expect(page.headers.get(name)).toBe(value);
      expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    } finally {
      await server.close();
    }
  });
});

describe('the project’s configuration', () => {
  it('vite.config.ts adds the plugin and builds no source maps', async () => {
    const configFile = fileURLToPath(new URL('../../vite.config.ts', import.meta.url));
    const config = await resolveConfig({ configFile, logLevel: 'silent' }, 'build', 'production');
    expect(config.plugins.map((p) => p.name)).toEqual(
      expect.arrayContaining(['icl-lab-security-headers', 'icl-lab-csp']),
    );
    expect(config.build.sourcemap).toBe(false);
  });

  it('public/_headers (static hosts) says what this module says', () => {
    const text = readFileSync(new URL('../../public/_headers', import.meta.url), 'utf8');
    const blocks = new Map<string, Map<string, string>>();
    let current: Map<string, string> | null = null;
    for (const line of text.split('\n')) {
      if (!line.trim() || line.startsWith('#')) continue;
      if (!line.startsWith(' ')) {
        current = new Map();
        blocks.set(line.trim(), current);
      } else {
        const at = line.indexOf(':');
        current?.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
      }
    }
    expect(Object.fromEntries(blocks.get('/*') ?? [])).toEqual(SECURITY_HEADERS);
    for (const [ext, type] of Object.entries(CONTENT_TYPES)) {
      expect(blocks.get(`/*${ext}`)?.get('Content-Type'), ext).toBe(type);
    }
    expect(contentTypeOf('/replays/a.iclreplay?x=1')).toBe('application/octet-stream');
    expect(contentTypeOf('/a.b/c')).toBeNull();
  });
});
