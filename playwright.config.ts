/**
 * End-to-end tests of the built page (npm run test:e2e builds first, then runs these against
 * `vite preview`). Chromium: scripts/find-browser.mjs (CHROMIUM_PATH, else a system Chromium on the
 * PATH, else Playwright's own download; `npm run test:e2e` runs it with --install first). Generous timeouts: the baselines run in a worker on slow CI machines.
 *
 * Projects:
 *  - chromium: the first page (gallery, baselines), looks and reach (themes, phone to 4K, shortcut
 *    dialog), and the run history (runs.spec.ts trains on ?backend=cpu: it is about the page);
 *  - webgpu: the training race with WebGPU on (headless Chromium gives a SwiftShader adapter with
 *    --enable-unsafe-webgpu), and the kernel checks in a Web Worker (kernels.spec.ts);
 *  - no-webgpu: the same race without the flag: no adapter, so the workers fall back (WebGL, ...).
 */
import { defineConfig, devices } from '@playwright/test';
import { findBrowser } from './scripts/find-browser.mjs';

// ICL_E2E_PORT: another port when several test runs share a machine
const PORT = Number(process.env.ICL_E2E_PORT ?? 4173);
const executablePath = findBrowser()?.path ?? undefined;

const BASE_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const TRAINING = '**/training.spec.ts';
// the probe lab (edit the probe prompt, replay checkpoints) on WebGPU only
const PROBE = '**/probe.spec.ts';
// exports need a trained race (checkpoints, loss curves)
const EXPORT = '**/export.spec.ts';
// the whole visit: choose, train, watch, pause, share, open the link in a new page
const FLOW = '**/flow.spec.ts';
// docs screenshots only on request: SCREENSHOTS=1 npx playwright test --project webgpu e2e/screenshot.spec.ts
const SCREENSHOTS = '**/screenshot.spec.ts';
// the kernel checks in a worker of the test page e2e/pages/kernels.html (build with ICL_TEST_PAGES=1)
const KERNELS = '**/kernels.spec.ts';
// the device probe with a software WebGPU adapter (SwiftShader): the backend chosen by measuring
const DEVICE = '**/device.spec.ts';

export default defineConfig({
  testDir: './e2e',
  testMatch: '**/*.spec.ts',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'retain-on-failure',
    ...devices['Desktop Chrome'],
    viewport: { width: 1280, height: 900 },
    launchOptions: { executablePath, args: BASE_ARGS },
  },
  projects: [
    { name: 'chromium', testIgnore: [TRAINING, EXPORT, PROBE, FLOW, KERNELS, SCREENSHOTS, DEVICE] },
    {
      name: 'webgpu',
      testMatch: [
        TRAINING,
        EXPORT,
        PROBE,
        FLOW,
        KERNELS,
        DEVICE,
        ...(process.env.SCREENSHOTS ? [SCREENSHOTS] : []),
      ],
      use: { launchOptions: { executablePath, args: [...BASE_ARGS, '--enable-unsafe-webgpu'] } },
    },
    { name: 'no-webgpu', testMatch: TRAINING },
  ],
  webServer: {
    command: `npx vite preview --port ${PORT} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${PORT}`,
    // never test a server some other checkout left running on the port (ICL_E2E_REUSE=1 to opt in)
    reuseExistingServer: process.env.ICL_E2E_REUSE === '1',
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
