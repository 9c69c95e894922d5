import { readdirSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { cspMetaTag, securityHeaders } from './src/formats/server-headers.js';

/**
 * tfjs-backend-wasm starts its threads (Emscripten pthreads) from a Blob holding its factory's
 * source (`factory.toString()`). That source reads `_scriptDir`, a variable of the enclosing
 * closure, behind a `typeof` guard; minified, the variable is renamed and the guard becomes a plain
 * read, which throws in the thread ("e is not defined"). Making it a global keeps its name (and the
 * guard) through minification, so the SIMD + threads build works in the bundled worker.
 */
function wasmThreadsFactory(): Plugin {
  return {
    name: 'icl-lab-wasm-threads-factory',
    transform(code, id) {
      if (!/tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm(-threaded-simd)?\.js$/.test(id)) return null;
      const fixed = code.replace(/\bvar _scriptDir = /, 'globalThis._scriptDir = ');
      return fixed === code ? null : { code: fixed, map: null };
    },
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
  plugins: [react(), cspMetaTag(), securityHeaders(), offlineManifestFile()],
  worker: { format: 'es', plugins: () => [wasmThreadsFactory()] },
  // the workers obey test-only hang messages in test builds only (src/workers/watchdog.ts)
  define: { __ICL_TEST_HOOKS__: JSON.stringify(process.env.ICL_TEST_PAGES === '1') },
  build: {
    target: 'es2022',
    // no source maps in the build (and none served: server-headers.ts); the browser bench asks for
    // them with ICL_SOURCEMAPS=1 and reads them from disk
    sourcemap: process.env.ICL_SOURCEMAPS === '1' ? 'hidden' : false,
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
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
    // WebGPU kernel tests: Chromium's SwiftShader Vulkan driver for Dawn (src/kernels/testing)
    globalSetup: ['src/kernels/testing/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
