/**
 * The device probe (issue 12): with WebGPU on and no GPU, headless Chromium's adapter is SwiftShader
 * (a CPU emulating a GPU); the page measures, picks the faster backend and says why, tells how long
 * the lesson will take here before Train, and the Backend control switches with the run kept.
 */
import { chooseModels, expect, modelStatus, stepOf, test } from './fixtures';

const backendStatus = (page: import('@playwright/test').Page) =>
  page.getByRole('status').filter({ hasText: /^Backend: / });

test('picks the faster backend over a software GPU and says why; the estimate shows before Train', async ({
  page,
}) => {
  await page.goto('/');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await expect(backendStatus(page)).toContainText(/^Backend: wasm: software GPU found \(SwiftShader\)/, {
    timeout: 90_000,
  });
  // Diagnostics: the same reason and what each candidate measured
  await page.getByText('Diagnostics', { exact: true }).click();
  const diag = page.locator('.diag-device');
  await expect(diag).toContainText('software GPU found (SwiftShader)');
  await expect(diag).toContainText(/wasm: [\d.]+ ms a probe step/);
  await expect(diag).toContainText('webgpu: not timed · software GPU (SwiftShader)');
  // the estimate, before any training
  const estimate = page.locator('.lesson-estimate');
  await expect(estimate).toContainText(
    /^Shows at ~\d+ steps, (about \d+(\.\d)? (minutes?|hours)|under a minute) on this device for these models\./,
    {
      timeout: 90_000,
    },
  );
  // nothing trained yet: no model has a status line
  await expect(modelStatus(page, 'Transformer')).toHaveCount(0);
  // the choice is remembered on this device, not put in the address
  const remembered = await page.evaluate(() => localStorage.getItem('icl-lab:device:v1'));
  expect(remembered).toContain('"wasm"');
  expect(page.url()).not.toContain('backend');
});

test('the Backend control switches without losing the run', async ({ page }) => {
  await page.goto('/');
  await expect(backendStatus(page)).toContainText(/^Backend: wasm/, { timeout: 90_000 });
  await chooseModels(page, ['Transformer']);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const status = modelStatus(page, 'Transformer');
  await expect(status).toContainText('· wasm', { timeout: 90_000 });
  await expect.poll(() => stepOf(status), { timeout: 120_000 }).toBeGreaterThanOrEqual(5);
  const before = await stepOf(status);
  await page.getByRole('combobox', { name: 'Backend', exact: true }).selectOption('cpu');
  await expect(backendStatus(page)).toHaveText('Backend: cpu: chosen in the Backend control');
  await expect(status).toContainText('· cpu', { timeout: 90_000 });
  // the run goes on from where it was (its weights and step kept; no restart from 0, which would
  // take far longer than this to climb back), on the new backend, with nothing to report
  await expect.poll(() => stepOf(status), { timeout: 8_000 }).toBeGreaterThanOrEqual(before);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect.poll(() => stepOf(status), { timeout: 120_000 }).toBeGreaterThan(before + 1);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
});
