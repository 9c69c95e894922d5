/**
 * Nothing hangs (issue 14): a training worker that stops answering is found by the heartbeat, told
 * in an alert naming the model, and restarted from its last checkpoint; settings too large for the
 * device are said before Train (and Train is refused); a reload during training resumes within the
 * steps since the last read-back the page showed (a small model's checkpoint comes with it); after
 * one visit the page reloads offline (service worker) and plays a recording. Runs in the 'chromium' project on ?backend=cpu (it is about the page).
 * The hang is made by a test-only hook of ICL_TEST_PAGES builds (src/workers/watchdog.ts).
 */

import { encodeShareFragment } from '../src/formats/share-link';
import { parseExperiment } from '../src/schema/experiment';
import { chooseModels, chooseTask, expect, modelStatus, stepOf, test, useTinySizes } from './fixtures';

/** the first steps compile every program (slow on a 2-core machine) */
const FIRST_STEPS_MS = 120_000;
/** the page's workers read losses back every this many steps (src/app/index.ts) */
const READ_EVERY = 5;

test('a training worker that stops answering is detected within seconds and restarted', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?backend=cpu');
  await chooseTask(page, 'Linear regression');
  await chooseModels(page, ['Transformer', 'Mamba']);
  await useTinySizes(page, { Steps: 100_000 });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const mamba = modelStatus(page, 'Mamba');
  await expect.poll(() => stepOf(mamba), { timeout: FIRST_STEPS_MS }).toBeGreaterThan(5);
  // make Mamba's worker spin forever (model index 1)
  const hungAt = Date.now();
  await page.evaluate(() =>
    (window as unknown as { iclTest: { hangWorker(i: number, m: string): void } }).iclTest.hangWorker(
      1,
      'busy',
    ),
  );
  const alert = page.getByRole('alert').filter({ hasText: /Mamba's worker stopped answering/ });
  await expect(alert).toBeVisible({ timeout: 20_000 });
  expect(Date.now() - hungAt).toBeLessThan(20_000);
  await expect(alert).toContainText(
    /no heartbeat for \d+ s while training\)\. Its worker was restarted from/,
  );
  // the restarted worker trains on; the other model was never stopped
  const before = await stepOf(mamba);
  await expect.poll(() => stepOf(mamba), { timeout: FIRST_STEPS_MS }).toBeGreaterThan(before);
  await expect(mamba).toContainText('training');
  await expect(modelStatus(page, 'Transformer')).toContainText('training');
  // a worker that closed itself is found the same way
  await page.evaluate(() =>
    (window as unknown as { iclTest: { hangWorker(i: number, m: string): void } }).iclTest.hangWorker(
      0,
      'close',
    ),
  );
  await expect(
    page.getByRole('alert').filter({ hasText: /Transformer's worker stopped answering/ }),
  ).toBeVisible({
    timeout: 20_000,
  });
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(mamba).toContainText('· paused', { timeout: 60_000 });
});

test('a link with every size at its maximum gets a message before Train, and Train is refused', async ({
  page,
}) => {
  const parsed = parseExperiment({
    version: 1,
    task: { name: 'linear-regression', params: { nPoints: 512 } },
    models: [{ arch: 'transformer', dModel: 1024, nLayer: 24, nHead: 16 }],
    batchSize: 1024,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  await page.goto(`/?backend=cpu#${encodeShareFragment(parsed.experiment)}`);
  const note = page.getByRole('alert').filter({ hasText: 'These settings need about' });
  await expect(note).toBeVisible();
  await expect(note).toContainText(/of memory to train the model; the limit here is about/);
  await expect(note).toContainText('smaller width D');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Train refused:' })).toBeVisible();
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  // nothing started: no model status line, no worker
  await expect(page.getByRole('status').filter({ hasText: /: step/ })).toHaveCount(0);
  // smaller settings: the note goes
  await page.goto('/?backend=cpu');
  await expect(page.getByText('These settings need about')).toHaveCount(0);
});

test('a reload during training resumes within the steps since the last read-back', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?backend=cpu');
  await chooseTask(page, 'Linear regression');
  await chooseModels(page, ['Transformer']);
  await useTinySizes(page, { Steps: 100_000 });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const status = modelStatus(page, 'Transformer');
  await expect.poll(() => stepOf(status), { timeout: FIRST_STEPS_MS }).toBeGreaterThan(5);
  // a small model: its checkpoint comes with every read-back the page is shown, and Diagnostics says so
  await page.getByText('Diagnostics', { exact: true }).click();
  const reloadLoss = page.locator('.diag-reload');
  await expect(reloadLoss).toContainText(/at most \d+ steps? \(checkpoint at the read-back\)/);
  // well before the page's own 10 s checkpoint, then a reload without Pause
  const first = await stepOf(status);
  await expect.poll(() => stepOf(status), { timeout: 30_000 }).toBeGreaterThan(first + 10);
  const before = await stepOf(status);
  await page.reload();
  const runs = page.getByRole('region', { name: 'Runs', exact: true });
  await runs.getByRole('button', { name: 'Resume', exact: true }).click();
  await expect(status).toContainText('· paused', { timeout: FIRST_STEPS_MS });
  const resumed = await stepOf(status);
  // what the page showed, less at most one read-back interval (readEvery 5 steps)
  expect(resumed).toBeGreaterThanOrEqual(before - READ_EVERY);
});

test('after one visit the page reloads offline and plays a recording', async ({ page, context }) => {
  test.setTimeout(180_000);
  await page.goto('/');
  // the service worker installs (it caches the whole build) and takes the page
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await expect
    .poll(() =>
      page.evaluate(() =>
        caches
          .open('icl-lab-offline')
          .then((c) => c.keys())
          .then((k) => k.length),
      ),
    )
    .toBeGreaterThan(10);
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.getByRole('button', { name: 'Watch a recorded run', exact: true }).first().click();
  const panel = page.getByRole('region', { name: 'Recorded run', exact: true });
  await expect(panel.getByRole('status')).toContainText(/Recorded run · step \d+ \/ \d+/, {
    timeout: 60_000,
  });
  await context.setOffline(false);
});
