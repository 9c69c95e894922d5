/**
 * Share links (no training: the 'chromium' project): a link reproduces the experiment in a new
 * page; a classroom link hides panels and locks controls; a corrupt, truncated or hand-edited link
 * shows a readable alert and opens the nearest valid experiment.
 */
import type { Page } from '@playwright/test';
import { deflateSync } from 'fflate';
import { chooseModels, chooseTask, expect, iclRegion, taskRadio, test } from './fixtures';

const ARCHS = ['Transformer', 'Mamba', 'MambaFormer', 'Standard hybrid', 'S4', 'S4-Mamba'];

const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });

async function openSettings(page: Page): Promise<void> {
  if (!(await field(page, 'Width D').isVisible())) await page.getByText('Settings', { exact: true }).click();
}

async function setField(page: Page, label: string, value: string): Promise<void> {
  const f = field(page, label);
  await f.fill(value);
  await f.press('Enter');
}

/** Fail on any console error of another page too (the fixture watches only `page`). */
function watch(other: Page, errors: string[]): void {
  other.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  other.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
}

function payloadLink(json: unknown): string {
  const bytes = deflateSync(new TextEncoder().encode(JSON.stringify(json)));
  const b64 = Buffer.from(bytes)
    .toString('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  return `/#x=${b64}`;
}

test('Share link: the URL reproduces the experiment in a new page', async ({
  page,
  context,
  consoleErrors,
}) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/');
  await chooseTask(page, 'Sparse linear regression');
  await chooseModels(page, ['Transformer', 'Mamba']);
  await openSettings(page);
  await setField(page, 'Width D', '8');
  await setField(page, 'Evaluation prompts', '16');
  await setField(page, 'Seed', '7');
  await setField(page, 'Learning rate', '0.0003');
  await page.getByRole('button', { name: 'Share link', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Link copied to the clipboard' })).toBeVisible();
  const url = page.url();
  expect(url).toMatch(/#x=[A-Za-z0-9_-]+$/);
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);

  const other = await context.newPage();
  watch(other, consoleErrors);
  await other.goto(url);
  await expect(taskRadio(other, 'Sparse linear regression')).toBeChecked();
  await expect(iclRegion(other).getByRole('heading', { level: 2 })).toContainText('Sparse linear regression');
  for (const title of ARCHS) {
    const box = other.getByRole('checkbox', { name: title, exact: true });
    if (title === 'Transformer' || title === 'Mamba') await expect(box).toBeChecked();
    else await expect(box).not.toBeChecked();
  }
  await expect(field(other, 'Learning rate')).toHaveValue('0.0003');
  await openSettings(other);
  await expect(field(other, 'Width D')).toHaveValue('8');
  await expect(field(other, 'Seed')).toHaveValue('7');
  await expect(field(other, 'Evaluation prompts')).toHaveValue('16');
  // same seed and evaluation prompts: the baselines are computed on the same stream
  await expect(iclRegion(other).getByRole('status')).toContainText('on 16 prompts (seed 7', {
    timeout: 150_000,
  });
  await expect(other.getByRole('alert')).toHaveCount(0);
  // after sharing, the address follows the settings: a reload keeps a later change
  await setField(other, 'Seed', '8');
  await expect.poll(() => other.url()).not.toBe(url);
  await other.reload();
  await openSettings(other);
  await expect(field(other, 'Seed')).toHaveValue('8');
  await other.close();
});

test('Share link without clipboard access shows the link in a labelled field', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(navigator.clipboard, 'writeText', {
      value: () => Promise.reject(new DOMException('not allowed', 'NotAllowedError')),
    });
  });
  await page.goto('/');
  await chooseTask(page, 'Linear regression');
  await page.getByRole('button', { name: 'Share link', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'did not allow copying' })).toBeVisible();
  const box = page.getByRole('textbox', { name: 'Link to copy', exact: true });
  await expect(box).toHaveAttribute('readonly', '');
  await expect(box).toHaveValue(page.url());
  expect(page.url()).toContain('#x=');
  await page.getByRole('button', { name: 'Close the link message' }).click();
  await expect(box).toHaveCount(0);
});

test('Classroom link: hides the chosen panels and locks the chosen settings', async ({
  page,
  context,
  consoleErrors,
}) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/');
  await chooseTask(page, 'Vector-valued MQAR');
  await page.getByRole('button', { name: 'Classroom link', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Classroom link' });
  await expect(dialog).toBeVisible();
  const lock = dialog.getByRole('group', { name: 'Lock these settings' });
  const hide = dialog.getByRole('group', { name: 'Hide these panels' });
  // the defaults: task, architectures and preset locked; settings and runs hidden
  await expect(lock.getByRole('checkbox', { name: 'Task', exact: true })).toBeChecked();
  await expect(hide.getByRole('checkbox', { name: 'Settings', exact: true })).toBeChecked();
  await lock.getByRole('checkbox', { name: 'Learning rate', exact: true }).check();
  await hide.getByRole('checkbox', { name: 'Attention', exact: true }).check();
  await hide.getByRole('checkbox', { name: 'Runs', exact: true }).uncheck();
  await dialog.getByRole('button', { name: 'Make the classroom link' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status').filter({ hasText: 'Classroom link copied' })).toBeVisible();
  const url = page.url();
  expect(url).toMatch(/&lock=task,models,preset,optimizer\.lr&hide=settings,attention$/);
  // the teacher's own page stays unlocked
  await expect(taskRadio(page, 'Linear regression')).toBeEnabled();

  const student = await context.newPage();
  watch(student, consoleErrors);
  await student.goto(url);
  await expect(taskRadio(student, 'Vector-valued MQAR')).toBeChecked();
  await expect(student.getByText(/Classroom view: 4 settings locked, 2 panels hidden/)).toBeVisible();
  // hidden: not rendered at all
  await expect(student.getByRole('region', { name: 'Attention', exact: true })).toHaveCount(0);
  await expect(student.getByText('Settings', { exact: true })).toHaveCount(0);
  await expect(student.getByLabel('Width D', { exact: true })).toHaveCount(0);
  // shown
  await expect(student.getByRole('region', { name: 'SSM state', exact: true })).toBeVisible();
  await expect(student.getByRole('region', { name: 'Training loss', exact: true })).toBeVisible();
  await expect(student.getByRole('region', { name: 'Runs', exact: true })).toBeVisible();
  // locked
  await expect(taskRadio(student, 'Linear regression')).toBeDisabled();
  for (const title of ARCHS)
    await expect(student.getByRole('checkbox', { name: title, exact: true })).toBeDisabled();
  await expect(student.getByLabel('Preset', { exact: true })).toBeDisabled();
  await expect(field(student, 'Learning rate')).toBeDisabled();
  // not locked: training itself
  await expect(student.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
  // a student's own share keeps the classroom view
  await student.getByRole('button', { name: 'Share link', exact: true }).click();
  await expect(student.getByRole('status').filter({ hasText: 'Classroom link copied' })).toBeVisible();
  expect(student.url()).toBe(url);
  // no unlock button for students: a teacher unlocks with the shortcut named in the dialog
  await expect(student.getByRole('button', { name: /unlock/i })).toHaveCount(0);
  await student.keyboard.press('Alt+Shift+U');
  await expect(student.getByRole('region', { name: 'Attention', exact: true })).toBeVisible();
  await expect(taskRadio(student, 'Linear regression')).toBeEnabled();
  await expect(field(student, 'Learning rate')).toBeEnabled();
  expect(student.url()).not.toContain('lock=');
  await student.close();
});

test('a truncated link shows the alert and opens the default experiment', async ({ page }) => {
  await page.goto('/');
  await chooseTask(page, 'Sparse parity');
  await page.getByRole('button', { name: 'Share link', exact: true }).click();
  const full = page.url();
  const cut = full.slice(0, full.indexOf('#x=') + 14);
  const fresh = await page.context().newPage();
  await fresh.goto(cut);
  const alert = fresh.getByRole('alert').filter({ hasText: 'could not be opened exactly' });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText('nearest valid experiment');
  await expect(alert).toContainText('could not be read');
  await expect(taskRadio(fresh, 'Linear regression')).toBeChecked();
  // the address now holds the experiment shown
  expect(fresh.url()).not.toBe(cut);
  await fresh.getByRole('button', { name: 'Dismiss the link notice' }).click();
  await expect(alert).toHaveCount(0);
  await fresh.close();
});

test('a hand-edited link is clamped to the nearest valid experiment, with the reasons', async ({ page }) => {
  await page.goto(
    `${payloadLink({ v: 1, t: 'sparse-parity', batchSize: 1e9, seed: -4 })}&lock=task,nonsense`,
  );
  const alert = page.getByRole('alert').filter({ hasText: 'could not be opened exactly' });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText('batchSize');
  await expect(alert).toContainText('nonsense');
  await expect(taskRadio(page, 'Sparse parity')).toBeChecked();
  await expect(taskRadio(page, 'Linear regression')).toBeDisabled();
  await openSettings(page);
  await expect(field(page, 'Batch size')).toHaveValue('1024');
  // a new link in the same tab (hash change) is applied too
  await page.goto(payloadLink({ v: 1, t: 'linear-regression', seed: 11 }));
  await expect(taskRadio(page, 'Linear regression')).toBeChecked();
  await expect(taskRadio(page, 'Sparse parity')).toBeEnabled();
  await expect(field(page, 'Seed')).toHaveValue('11');
});

test('garbage after #x= never breaks the page', async ({ page }) => {
  for (const bad of ['#x=', '#x=%%%', '#x=AAAA', `#x=${'A'.repeat(20000)}`, '#x=eJz&lock=&hide=,,,']) {
    await page.goto(`/${bad}`);
    await expect(page.getByRole('group', { name: 'Task', exact: true })).toBeVisible();
    await expect(page.getByRole('alert').filter({ hasText: 'could not be opened exactly' })).toBeVisible();
  }
});
