/**
 * The WebGPU kernel correctness checks (src/kernels/testing/checks.ts, the same cases the Node
 * tests run on Dawn) in headless Chromium inside a DedicatedWorker, on SwiftShader's WebGPU
 * adapter ('webgpu' project): every fused kernel against its reference path, forward and every
 * gradient, relative error < 1e-4, no uncaptured GPU error, and full coverage (every kernel and
 * output; L = 1, odd L, batch 1, a large batch). The page e2e/pages/kernels.html is built only with
 * ICL_TEST_PAGES=1 (`npm run test:e2e` sets it).
 */
import { KERNEL_IDS, type KernelReport, reportProblems } from '../src/kernels/testing/check-report';
import { expect, test } from './fixtures';

const PAGE = '/e2e/pages/kernels.html';

test('every fused kernel matches its reference path in a Web Worker on WebGPU', async ({ page }) => {
  test.setTimeout(300_000);
  const response = await page.goto(PAGE);
  expect(
    response?.status(),
    `${PAGE} is missing from dist: build with ICL_TEST_PAGES=1 npx vite build (npm run test:e2e does)`,
  ).toBe(200);
  const status = page.getByRole('status');
  await expect(page.locator('body')).toHaveAttribute('data-state', /^(done|fatal)$/, { timeout: 280_000 });
  const state = await page.locator('body').getAttribute('data-state');
  expect(state, `the check worker failed: ${await status.textContent()}`).toBe('done');

  const report = JSON.parse((await page.locator('#report').textContent()) ?? '{}') as KernelReport;
  test.info().annotations.push({
    type: 'kernel checks',
    description: `${report.entries.length} comparisons on ${report.backend} (${report.adapter}) in ${report.elapsedMs} ms`,
  });
  expect(report.context, 'the checks run in a DedicatedWorker').toBe('DedicatedWorkerGlobalScope');
  expect(report.backend, report.backendReason).toBe('webgpu');
  expect(report.entries.length, 'comparisons in the report').toBeGreaterThan(100);
  expect([...new Set(report.entries.map((e) => e.kernel))].sort()).toEqual([...KERNEL_IDS].sort());
  // failing kernel / case / output with its error, failed checks, GPU errors, missing coverage
  expect(reportProblems(report), 'kernel check problems').toEqual([]);
  await expect(status).toContainText(`All ${report.entries.length} comparisons passed on webgpu`);
});
