import { readdirSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Content-Security-Policy of the production build: only this origin, no inline scripts, no
 * third-party requests; WebAssembly compilation allowed for tfjs's wasm backend. (Dev mode skips it:
 * the React refresh runtime is an inline script.)
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self' data: blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'icl-lab-csp',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
        injectTo: 'head-prepend',
      },
    ],
  };
}

/**
 * `offline-manifest.json`: `{ version, files }`, every file of the build and of public/ (paths
 * relative to the base, sorted) for the service worker (public/sw.js) to cache; source maps, the
 * service worker and the test pages are left out; `version` changes with the list.
 */
function offlineManifest(paths: readonly string[]): { version: string; files: string[] } {
  const leftOut = [/\.map$/, /^offline-manifest\.json$/, /^sw\.js$/, /(^|\/)e2e\//, /^kernels\.html$/];
  const files = [...new Set(paths)].filter((p) => p && !leftOut.some((r) => r.test(p))).sort();
  let h = 0x811c9dc5;
  for (const ch of files.join('\n')) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return { version: h.toString(16), files };
}

function offlineManifestFile(): Plugin {
  let publicDir = '';
  return {
    name: 'icl-offline-manifest',
    apply: 'build',
    configResolved: (config) => {
      publicDir = config.publicDir;
    },
    generateBundle(_options, bundle) {
      const pub = publicDir
        ? readdirSync(publicDir, { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => relative(publicDir, `${e.parentPath}/${e.name}`).split('\\').join('/'))
        : [];
      const source = JSON.stringify(offlineManifest([...Object.keys(bundle), ...pub]));
      this.emitFile({ type: 'asset', fileName: 'offline-manifest.json', source });
    },
  };
}

export default defineConfig({
  plugins: [react(), contentSecurityPolicy(), offlineManifestFile()],
  worker: { format: 'es' },
  // the workers obey test-only hang messages in test builds only (src/workers/watchdog.ts)
  define: { __ICL_TEST_HOOKS__: JSON.stringify(process.env.ICL_TEST_PAGES === '1') },
  build: {
    target: 'es2022',
    sourcemap: true,
    // test-only pages (e2e/pages: the WebGPU kernel checks in a worker) with ICL_TEST_PAGES=1, as
    // `npm run test:e2e` builds; the production build (`npm start`, `npm run build`) has none
    ...(process.env.ICL_TEST_PAGES === '1'
      ? {
          rolldownOptions: {
            input: {
              index: fileURLToPath(new URL('./index.html', import.meta.url)),
              kernels: fileURLToPath(new URL('./e2e/pages/kernels.html', import.meta.url)),
            },
          },
        }
      : {}),
  },
  preview: { port: 4173, strictPort: true, host: '127.0.0.1' },
  server: { host: '127.0.0.1' },
  test: {
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
    environment: 'node',
    // WebGPU kernel tests: Chromium's SwiftShader Vulkan driver for Dawn (src/kernels/testing)
    globalSetup: ['src/kernels/testing/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
