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

export default defineConfig({
  plugins: [react(), cspMetaTag(), securityHeaders()],
  worker: { format: 'es', plugins: () => [wasmThreadsFactory()] },
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
