/**
 * The failure paths of live training in the real page (project 'chromium': no WebGPU flag, so the
 * workers train on a fallback backend): a training worker that throws is reported with an alert
 * for that model, which restarts from its last checkpoint; storage that is full or missing gives
 * an alert, never a crash, and the run stays listed in memory.
 */
import type { Page } from '@playwright/test';
// (a Playwright helper, not a React hook: renamed so the hooks lint rule does not mistake it)
import {
  chooseModels,
  chooseTask,
  expect,
  modelStatus,
  stepOf,
  test,
  useTinySizes as tinySizes,
} from './fixtures';

const FIRST_STEPS_MS = 240_000;

async function startOne(page: Page, title: string): Promise<void> {
  await page.goto('/');
  await chooseTask(page, 'Linear regression');
  await chooseModels(page, [title]);
  await tinySizes(page, { Steps: 100_000 });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
}

test('a training worker that throws is reported and restarts from its last checkpoint', async ({
  page,
  consoleErrors,
}) => {
  test.setTimeout(480_000);
  await startOne(page, 'Mamba');
  const status = modelStatus(page, 'Mamba');
  await expect.poll(() => stepOf(status), { timeout: FIRST_STEPS_MS }).toBeGreaterThanOrEqual(2);
  // a pause writes a checkpoint; train on from there
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(status).toContainText('· paused', { timeout: 120_000 });
  const checkpointStep = await stepOf(status);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(() => stepOf(status), { timeout: 120_000 }).toBeGreaterThan(checkpointStep);

  // an uncaught error inside the training worker (not the baselines worker)
  const worker = page.workers().find((w) => w.url().includes('training'));
  expect(worker, 'the training worker').toBeDefined();
  await worker!.evaluate(() => {
    setTimeout(() => {
      throw new Error('e2e: the training worker fails');
    }, 0);
  });
  const alert = page.getByRole('alert').filter({ hasText: "Mamba's worker stopped" });
  await expect(alert).toBeVisible({ timeout: 30_000 });
  await expect(alert).toContainText('e2e: the training worker fails');
  await expect(status).toContainText('worker crashed');
  const restart = alert.getByRole('button', {
    name: /^Restart Mamba from its last checkpoint \(step \d+\)$/,
  });
  await expect(restart).toBeVisible();
  const from = Number(/step (\d+)/.exec((await restart.textContent()) ?? '')?.[1]);
  expect(from).toBeGreaterThanOrEqual(checkpointStep);

  // restart: a new worker continues from the checkpoint (not from 0) and trains on
  await restart.click();
  await expect(alert).toHaveCount(0);
  await expect.poll(() => stepOf(status), { timeout: FIRST_STEPS_MS }).toBeGreaterThan(from);
  await expect(status).not.toContainText('crashed');
  // the deliberate error is the only one allowed
  const mine = (e: string) => e.includes('e2e: the training worker fails');
  const others = consoleErrors.filter((e) => !mine(e));
  consoleErrors.splice(0, consoleErrors.length, ...others);
});

test('full storage is an alert, not a crash; training goes on and the run stays listed', async ({ page }) => {
  test.setTimeout(300_000);
  // every IndexedDB write fails as it does when the site's quota is used up
  await page.addInitScript(() => {
    IDBObjectStore.prototype.put = () => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
  });
  await startOne(page, 'Transformer');
  const alert = page.getByRole('alert').filter({ hasText: 'storage for this site is full' });
  await expect(alert).toBeVisible({ timeout: 60_000 });
  await expect(alert).toContainText('Training goes on');
  const status = modelStatus(page, 'Transformer');
  await expect.poll(() => stepOf(status), { timeout: FIRST_STEPS_MS }).toBeGreaterThanOrEqual(2);
  await expect(page.getByRole('list', { name: 'Stored runs' }).getByRole('listitem')).toHaveCount(1);
  // dismissible
  await alert.getByRole('button', { name: 'Dismiss this notice' }).click();
  await expect(alert).toHaveCount(0);
});

test('no IndexedDB at all: an alert, and the runs are kept in memory', async ({ page }) => {
  test.setTimeout(300_000);
  await page.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', { get: () => undefined });
  });
  await startOne(page, 'Transformer');
  await expect(
    page.getByRole('alert').filter({ hasText: 'IndexedDB is not available in this browser' }),
  ).toContainText('kept in memory only');
  await expect(page.getByText('Storage is unavailable: runs last until this page closes.')).toBeVisible();
  const status = modelStatus(page, 'Transformer');
  await expect.poll(() => stepOf(status), { timeout: FIRST_STEPS_MS }).toBeGreaterThanOrEqual(1);
  await expect(page.getByRole('list', { name: 'Stored runs' }).getByRole('listitem')).toHaveCount(1);
});
