/**
 * Not a test: saves screenshots of the page for the docs (docs/screenshots/, check them by eye).
 * Runs only with SCREENSHOTS=1:
 *   SCREENSHOTS=1 npx playwright test --project=webgpu e2e/screenshot.spec.ts
 * The views: the first page, the settings panel open, the training view (curves and maps) with its
 * probe panel, two runs compared, a recorded run replayed (desktop and phone), the maps, the first
 * screen, Table 1 and the lesson in the present layout; light and projector.
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
    // the baseline curves are drawn a moment after the status says they are ready
    await expect(iclRegion(page).locator('path.plot-line').first()).toBeVisible();
    await page.waitForTimeout(1500);
    const name = scheme === 'light' ? 'first-page.png' : 'first-page-dark.png';
    await page.screenshot({ path: `docs/screenshots/${name}`, fullPage: true });
  });
}

test('screenshot of the settings panel', async ({ page }) => {
  await page.goto('/');
  await chooseTask(page, 'Sparse parity');
  await page.getByText('Settings', { exact: true }).click();
  await expect(page.getByLabel('Width D', { exact: true })).toBeVisible();
  await page.locator('details.settings').screenshot({ path: 'docs/screenshots/settings.png' });
});

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
    const probe = page.getByRole('region', { name: 'Probe', exact: true });
    await expect(probe.getByRole('table', { name: 'Predictions at the query' })).toContainText('(live)');
    await probe.screenshot({
      path: `docs/screenshots/${scheme === 'light' ? 'probe.png' : 'probe-dark.png'}`,
    });
  });
}

/** The run history: two runs of Transformer and Mamba that differ in width, compared (CPU backend). */
for (const scheme of ['light', 'dark'] as const) {
  test(`screenshot of two runs compared (${scheme})`, async ({ page }) => {
    test.setTimeout(600_000);
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto('/?backend=cpu');
    await chooseTask(page, 'Linear regression');
    for (const title of ['MambaFormer'])
      await page.getByRole('checkbox', { name: title, exact: true }).uncheck();
    await useTinySizes(page, { 'Evaluation prompts': 64, Steps: 3000 });
    const seconds = Number(process.env.SCREENSHOT_SECONDS ?? 20) * 1000;
    for (const width of [8, 16]) {
      const field = page.getByLabel('Width D', { exact: true });
      await field.fill(String(width));
      await field.press('Enter');
      await page.getByRole('button', { name: 'Train', exact: true }).click();
      await expect(modelStatus(page, 'Mamba')).toContainText('· training', { timeout: 120_000 });
      await page.waitForTimeout(seconds);
      await page.getByRole('button', { name: 'Pause', exact: true }).click();
      for (const title of ['Transformer', 'Mamba']) {
        await expect(modelStatus(page, title)).toContainText('· paused', { timeout: 120_000 });
      }
      await page.waitForTimeout(4000); // the run record is saved a moment after the pause
    }
    const runs = page.getByRole('region', { name: 'Runs', exact: true });
    await expect(runs.getByRole('region', { name: 'Compare two runs' })).toBeVisible();
    await page.waitForTimeout(1500);
    const name = scheme === 'light' ? 'runs-compare.png' : 'runs-compare-dark.png';
    await runs.screenshot({ path: `docs/screenshots/${name}` });
  });
}

/** A recorded run replayed into the charts (public/replays/), paused near its end. */
for (const view of ['desktop', 'phone'] as const) {
  test(`screenshot of a recorded run (${view})`, async ({ page }) => {
    if (view === 'phone') await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/');
    const panel = page.getByRole('region', { name: 'Recorded run', exact: true });
    await panel.getByRole('button', { name: 'Watch a recorded run', exact: true }).click();
    const status = panel.getByRole('status');
    await expect(status).toContainText(/Recorded run · step \d+ \/ \d+ · playing/);
    await page.waitForTimeout(3000);
    await panel.getByRole('button', { name: 'Pause replay' }).click();
    const total = Number(/ \/ (\d+)/.exec((await status.textContent()) ?? '')?.[1]);
    await panel.getByRole('slider', { name: 'Replay step' }).fill(String(Math.round(total * 0.9)));
    await expect(status).toContainText('· paused');
    await page.waitForTimeout(2500); // the charts redraw at most once a second
    const name = view === 'desktop' ? 'replay.png' : 'replay-phone.png';
    await page.screenshot({ path: `docs/screenshots/${name}`, fullPage: view === 'desktop' });
  });
}

/** The maps of a recorded run, with token labels, colour scales and a cell read out (light and dark). */
for (const scheme of ['light', 'dark'] as const) {
  test(`screenshot of the maps (${scheme})`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto('/');
    await page.getByRole('button', { name: 'Watch a recorded run', exact: true }).click();
    const recorded = page.getByRole('region', { name: 'Recorded run', exact: true });
    await recorded.getByRole('button', { name: 'Pause replay' }).click();
    await recorded.getByRole('slider', { name: 'Replay step' }).focus();
    await page.keyboard.press('End');
    const attention = page.getByRole('region', { name: 'Attention', exact: true });
    const map = attention.getByRole('application').first();
    await map.focus();
    for (const key of ['End', 'PageDown', 'PageDown', 'ArrowLeft']) await page.keyboard.press(key);
    await page.waitForTimeout(1200);
    const suffix = scheme === 'light' ? '' : '-dark';
    await attention.screenshot({ path: `docs/screenshots/maps-attention${suffix}.png` });
    await page
      .getByRole('region', { name: 'SSM state', exact: true })
      .screenshot({ path: `docs/screenshots/maps-ssm${suffix}.png` });
  });
}

/** The first screen of a laptop (1280 x 900, no scrolling): task strip, Train, the charts. */
test('screenshot of the first screen (1280 x 900)', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/');
  await waitForBaselines(iclRegion(page));
  await expect(iclRegion(page).locator('path.plot-line').first()).toBeVisible();
  await page.waitForTimeout(1500);
  await page.screenshot({ path: 'docs/screenshots/first-screen.png' });
});

/** The paper's Table 1 (public/table1.json): the dialog the header's "Table 1" button opens. */
test('screenshot of Table 1', async ({ page }) => {
  // tall enough that the dialog (at most the window's height) shows every row without scrolling
  await page.setViewportSize({ width: 1280, height: 1800 });
  await page.goto('/');
  await page.getByRole('button', { name: 'Table 1', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Table 1' });
  await expect(dialog.getByRole('table')).toBeVisible();
  await page.waitForTimeout(1000);
  await dialog.screenshot({ path: 'docs/screenshots/table1.png' });
});

/** The lesson in the present layout on a 1920 x 1080 projector, its first step's recording playing. */
test('screenshot of the lesson in the present layout (1920 x 1080)', async ({ page }) => {
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto('/');
  await page.getByRole('button', { name: 'Lesson', exact: true }).click();
  const lesson = page.getByRole('region', { name: 'Lesson', exact: true });
  await expect(lesson).toContainText('step 1 of');
  await lesson.getByRole('button', { name: 'Present', exact: true }).click();
  await expect(page.locator('html')).toHaveAttribute('data-present', 'on');
  await expect(lesson.getByRole('status')).toContainText(/^(Look at the|Across \d recordings: )/, {
    timeout: 30_000,
  });
  await expect(iclRegion(page)).toContainText('Transformer', { timeout: 30_000 });
  await expect(iclRegion(page).locator('path.plot-line').first()).toBeVisible();
  await page.waitForTimeout(3000);
  await page.screenshot({ path: 'docs/screenshots/lesson-present.png' });
});
