/**
 * The settings panel (no training: the 'chromium' project): every group of the experiment's
 * settings, explanations on focus and hover, limits from the schema (an out-of-range value shows
 * its message and is not applied), cross-field problems beside the field, and the share link
 * carrying what was changed.
 */
import type { Page } from '@playwright/test';
import { inflateSync } from 'fflate';
import { chooseTask, expect, test } from './fixtures';

const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });

async function openSettings(page: Page): Promise<void> {
  if (!(await field(page, 'Width D').isVisible())) await page.getByText('Settings', { exact: true }).click();
  await expect(field(page, 'Width D')).toBeVisible();
}

async function setField(page: Page, label: string, value: string): Promise<void> {
  const f = field(page, label);
  await f.fill(value);
  await f.press('Enter');
}

/** The compact experiment a share link carries (the JSON in #x=...). */
function linkPayload(url: string): Record<string, unknown> {
  const x = new URLSearchParams(new URL(url).hash.slice(1)).get('x') ?? '';
  const bytes = Buffer.from(x.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return JSON.parse(new TextDecoder().decode(inflateSync(new Uint8Array(bytes))));
}

/** Whether an explanation is shown (it is clipped to 1 px while the field is neither hovered nor focused). */
async function shown(page: Page, describedBy: string): Promise<boolean> {
  return page.evaluate((id) => {
    const el = document.getElementById(id);
    if (!el) return false;
    const r = el.getBoundingClientRect();
    return r.width > 40 && r.height > 10 && getComputedStyle(el).clipPath === 'none';
  }, describedBy);
}

async function aboutId(page: Page, label: string): Promise<string> {
  const ids = (await field(page, label).getAttribute('aria-describedby')) ?? '';
  const id = ids.split(' ').find((i) => i.endsWith('-about'));
  expect(id, `${label} has an explanation`).toBeTruthy();
  return id!;
}

test('Settings: every group, explanations, schema limits, and the share link carries the changes', async ({
  page,
  context,
  consoleErrors,
}) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/');
  await chooseTask(page, 'Linear regression');
  await openSettings(page);
  for (const name of ['Task parameters', 'Models', 'Optimiser', 'Curriculum', 'Schedule', 'Evaluation']) {
    await expect(page.getByRole('group', { name, exact: true })).toBeVisible();
  }

  // explanations: linked to the field, shown on keyboard focus and on hover only
  const interval = field(page, 'Points interval (steps)');
  await expect(interval).toHaveAccessibleDescription(
    /Training steps between two increments.*The paper: 2000/,
  );
  const intervalAbout = await aboutId(page, 'Points interval (steps)');
  expect(await shown(page, intervalAbout)).toBe(false);
  await interval.focus();
  await expect.poll(() => shown(page, intervalAbout)).toBe(true);
  const beta1About = await aboutId(page, 'Adam beta1');
  expect(await shown(page, beta1About)).toBe(false);
  await field(page, 'Adam beta1').hover();
  await expect.poll(() => shown(page, beta1About)).toBe(true);

  // the limits come from the schema: on the input, and a value past them is refused with its message
  const width = field(page, 'Width D');
  await expect(width).toHaveAttribute('min', '4');
  await expect(width).toHaveAttribute('max', '1024');
  await setField(page, 'Width D', '5000');
  await expect(page.getByText('Width D must be at most 1024; not applied.')).toBeVisible();
  await expect(width).toHaveAttribute('aria-invalid', 'true');
  await expect(width).toHaveAccessibleDescription(/must be at most 1024/);
  await setField(page, 'Width D', '');
  await expect(width).not.toHaveAttribute('aria-invalid', 'true');

  // a cross-field problem shows beside the field and in the alert
  await setField(page, 'Heads', '5');
  await expect(field(page, 'Heads')).toHaveAttribute('aria-invalid', 'true');
  await expect(
    page.getByText(/Transformer: the width 64 must be a multiple of the number of heads 5/),
  ).toBeVisible();
  await expect(page.getByRole('alert').filter({ hasText: 'cannot be trained' })).toBeVisible();
  await setField(page, 'Heads', '');
  await expect(page.getByRole('alert').filter({ hasText: 'cannot be trained' })).toHaveCount(0);

  // a curriculum change and the clip switched off, each marked as differing from the preset
  await setField(page, 'Points start', '5');
  await setField(page, 'Points interval (steps)', '50');
  const curriculum = page.getByRole('group', { name: 'Curriculum', exact: true });
  await expect(curriculum.getByText('Changed (preset 11)')).toBeVisible();
  await expect(curriculum.getByText('Changed (preset 2000)')).toBeVisible();
  await field(page, 'Gradient clip').uncheck();
  await expect(field(page, 'Clip max norm')).toBeDisabled();
  await expect(
    page.getByRole('group', { name: 'Optimiser', exact: true }).getByText('Changed (preset on)'),
  ).toBeVisible();
  // one model's own setting
  await page.getByLabel('Apply model settings to', { exact: true }).selectOption({ label: 'Mamba' });
  await expect(field(page, 'Heads')).toHaveCount(0); // Mamba has no attention heads
  await setField(page, 'State size N', '8');
  await page.getByLabel('Apply model settings to', { exact: true }).selectOption({ label: 'All models' });

  await page.getByRole('button', { name: 'Share link', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Link copied to the clipboard' })).toBeVisible();
  const url = page.url();
  const payload = linkPayload(url) as {
    clip?: unknown;
    curriculum?: { points: { start: number; interval: number } };
    models?: Array<{ arch?: string; dModel?: number; dState?: number }>;
  };
  expect(payload.clip).toBeNull();
  expect(payload.curriculum?.points).toMatchObject({ start: 5, interval: 50 });
  expect(JSON.stringify(payload)).not.toContain('5000');
  expect(payload.models?.[1]).toMatchObject({ dState: 8 });

  // the link opens the same settings
  const other = await context.newPage();
  other.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`console.error: ${m.text()}`);
  });
  await other.goto(url);
  await openSettings(other);
  await expect(field(other, 'Points start')).toHaveValue('5');
  await expect(field(other, 'Points interval (steps)')).toHaveValue('50');
  await expect(field(other, 'Gradient clip')).not.toBeChecked();
  await other.getByLabel('Apply model settings to', { exact: true }).selectOption({ label: 'Mamba' });
  await expect(field(other, 'State size N')).toHaveValue('8');
  await other.close();

  // reset one group to the preset
  await page.getByRole('button', { name: 'Reset to preset: Curriculum', exact: true }).click();
  await expect(field(page, 'Points start')).toHaveValue('');
  await expect(field(page, 'Gradient clip')).not.toBeChecked();
  await page.getByRole('button', { name: 'Reset all to preset', exact: true }).click();
  await expect(field(page, 'Gradient clip')).toBeChecked();
});
