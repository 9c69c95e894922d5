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
 * Cross-origin isolation (COOP + COEP): lets tfjs-backend-wasm use its SIMD + threads build
 * (SharedArrayBuffer). Every asset is same-origin, so nothing is blocked. Static hosting: docs/DEPLOY.md.
 */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

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
  plugins: [react(), contentSecurityPolicy()],
  worker: { format: 'es', plugins: () => [wasmThreadsFactory()] },
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
  preview: { port: 4173, strictPort: true, host: '127.0.0.1', headers: ISOLATION_HEADERS },
  server: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
  test: {
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
    environment: 'node',
    // WebGPU kernel tests: Chromium's SwiftShader Vulkan driver for Dawn (src/kernels/testing)
    globalSetup: ['src/kernels/testing/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
