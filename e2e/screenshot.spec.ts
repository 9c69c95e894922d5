/**
 * Not a test: saves screenshots of the page for the docs. Runs only with SCREENSHOTS=1:
 *   SCREENSHOTS=1 npx playwright test --project webgpu e2e/screenshot.spec.ts
 */
import { chooseTask, expect, iclRegion, modelStatus, test, useTinySizes, waitForBaselines } from './fixtures';

test.skip(!process.env.SCREENSHOTS, 'set SCREENSHOTS=1 to write docs/screenshots');

for (const scheme of ['light', 'dark'] as const) {
  test(`screenshot of the first page (${scheme})`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto('/');
    const task = process.env.SCREENSHOT_TASK ?? 'Linear regression';
    await chooseTask(page, task);
    await waitForBaselines(iclRegion(page));
    const name = scheme === 'light' ? 'first-page.png' : 'first-page-dark.png';
    await page.screenshot({ path: `docs/screenshots/${name}`, fullPage: true });
  });
}

/**
 * The training view after a short race. SCREENSHOT_BACKEND (default cpu: on a machine without a
 * GPU, SwiftShader's WebGPU is far slower than the CPU backend for these tiny models) and
 * SCREENSHOT_SECONDS (default 90) choose how it trains.
 */
for (const scheme of ['light', 'dark'] as const) {
  test(`screenshot of the training view (${scheme})`, async ({ page }) => {
    test.setTimeout(600_000);
    await page.emulateMedia({ colorScheme: scheme });
    const backend = process.env.SCREENSHOT_BACKEND ?? 'cpu';
    await page.goto(`/?backend=${backend}`);
    await chooseTask(page, process.env.SCREENSHOT_TASK ?? 'Linear regression');
    await useTinySizes(page, {
      'Width D': 16,
      Heads: 2,
      'State size N': 8,
      'Evaluation prompts': 64,
      'Evaluate every (steps)': 50,
      Steps: 3000,
    });
    await page.getByText('Settings', { exact: true }).click();
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await page.waitForTimeout(Number(process.env.SCREENSHOT_SECONDS ?? 90) * 1000);
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    for (const title of ['Transformer', 'Mamba', 'MambaFormer']) {
      await expect(modelStatus(page, title)).toContainText('· paused', { timeout: 120_000 });
    }
    await page.waitForTimeout(2500); // the charts redraw at most once a second
    const name = scheme === 'light' ? 'training.png' : 'training-dark.png';
    await page.screenshot({ path: `docs/screenshots/${name}`, fullPage: true });
  });
}
