/**
 * The whole visit, end to end on WebGPU (SwiftShader): choose a task, two architectures and a
 * setting or two; train; watch the loss and in-context curves fill and the status lines count steps
 * on webgpu; pause; "Share link"; open the link in a new page of a fresh context and find the same
 * experiment: task, architectures, seed, learning rate and the same data stream (the seeded probe
 * prompt and the baselines' evaluation prompts). Tiny sizes, a few steps.
 */
import type { Page } from '@playwright/test';
import {
  chooseModels,
  chooseTask,
  expect,
  iclRegion,
  lossRegion,
  modelStatus,
  stepOf,
  taskRadio,
  test,
  useTinySizes,
  waitForBaselines,
} from './fixtures';

const ARCHS = ['Transformer', 'Mamba', 'MambaFormer', 'Standard hybrid', 'S4', 'S4-Mamba'];
const RACE = ['Transformer', 'Mamba'];
const TASK = 'Linear regression';
/** the first steps compile every shader (slow on SwiftShader on two cores) */
const FIRST_STEPS_MS = 240_000;

const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });

async function setField(page: Page, label: string, value: string): Promise<void> {
  const f = field(page, label);
  await f.fill(value);
  await f.press('Enter');
}

async function openSettings(page: Page): Promise<void> {
  if (!(await field(page, 'Width D').isVisible())) await page.getByText('Settings', { exact: true }).click();
}

/** The seeded probe prompt as the editor shows it: every point's "x .., y ..". */
async function probePoints(page: Page): Promise<string[]> {
  const probe = page.getByRole('region', { name: 'Probe', exact: true });
  const points = probe.getByRole('slider');
  await expect(points.first()).toBeVisible();
  await expect(probe).toContainText('Seeded probe prompt');
  return points.evaluateAll((els) => els.map((el) => el.getAttribute('aria-valuetext') ?? ''));
}

test('choose, train, watch, pause, share; the link opens the same experiment in a new page', async ({
  page,
  browser,
  consoleErrors,
}) => {
  test.setTimeout(480_000);
  // the WebGPU race, fixed by the address (the device probe would pick wasm on a software adapter)
  await page.goto('/?backend=webgpu');
  await chooseTask(page, TASK);
  await chooseModels(page, RACE);
  await useTinySizes(page, { 'Evaluate every (steps)': 2, Steps: 100_000 });
  const defaultProbe = await probePoints(page);
  await setField(page, 'Seed', '13');
  await setField(page, 'Learning rate', '0.002');
  // a new seed draws a new probe prompt (so the comparison below can fail)
  await expect.poll(() => probePoints(page)).not.toEqual(defaultProbe);
  const probe = await probePoints(page);
  await waitForBaselines(iclRegion(page));
  await expect(iclRegion(page).getByRole('status')).toContainText('(seed 13');
  const baselines = (await iclRegion(page).getByRole('status').textContent()) ?? '';

  // train and watch
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  for (const title of RACE) {
    const status = modelStatus(page, title);
    await expect(status).toContainText(' · webgpu · ', { timeout: FIRST_STEPS_MS });
    await expect.poll(() => stepOf(status), { timeout: FIRST_STEPS_MS }).toBeGreaterThanOrEqual(3);
  }
  await expect(lossRegion(page).locator('path.plot-line')).toHaveCount(RACE.length, {
    timeout: 30_000,
  });
  const legend = iclRegion(page).locator('.plot-legend-text');
  for (const title of RACE) {
    await expect(legend.filter({ hasText: `${title} (step` })).toHaveCount(1, { timeout: 60_000 });
  }
  await expect(legend.filter({ hasText: 'Least squares' })).toHaveCount(1);
  // the chart in words, generated from the evaluations: the seed and each model's measured level and mark
  const caption = iclRegion(page).locator('.live-caption');
  await expect(caption).toContainText('(seed 13)', { timeout: 30_000 });
  for (const title of RACE)
    await expect(caption).toContainText(new RegExp(`${title} [0-9.]+ \\((learns|partly learns|fails)`));

  // pause: every model stops and stays stopped
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  const paused: number[] = [];
  for (const title of RACE) {
    const status = modelStatus(page, title);
    await expect(status).toContainText('· paused', { timeout: 120_000 });
    paused.push(await stepOf(status));
  }
  await page.waitForTimeout(1500);
  for (const [i, title] of RACE.entries()) expect(await stepOf(modelStatus(page, title))).toBe(paused[i]);
  await expect(page.getByRole('alert')).toHaveCount(0);

  // share: no clipboard permission in this context, so the page shows the link in a field
  await page.getByRole('button', { name: 'Share link', exact: true }).click();
  const box = page.getByRole('textbox', { name: 'Link to copy', exact: true });
  const copied = page.getByRole('status').filter({ hasText: 'Link copied to the clipboard' });
  await expect(box.or(copied)).toBeVisible();
  const url = (await box.count()) > 0 ? await box.inputValue() : page.url();
  expect(url).toMatch(/#x=[A-Za-z0-9_-]+$/);
  expect(url).toBe(page.url());

  // a new page in a fresh context (no shared storage): the same experiment
  const context = await browser.newContext({ baseURL: new URL(url).origin });
  const other = await context.newPage();
  other.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`new page console.error: ${m.text()}`);
  });
  other.on('pageerror', (e) => consoleErrors.push(`new page error: ${e.message}`));
  await other.goto(url);
  await expect(taskRadio(other, TASK)).toBeChecked();
  for (const title of ARCHS) {
    const box = other.getByRole('checkbox', { name: title, exact: true });
    if (RACE.includes(title)) await expect(box).toBeChecked();
    else await expect(box).not.toBeChecked();
  }
  await expect(field(other, 'Learning rate')).toHaveValue('0.002');
  await openSettings(other);
  await expect(field(other, 'Seed')).toHaveValue('13');
  await expect(field(other, 'Width D')).toHaveValue('8');
  await expect(field(other, 'Evaluation prompts')).toHaveValue('16');
  // the same data stream: the same seeded probe prompt, the same baselines on the same prompts
  expect(await probePoints(other)).toEqual(probe);
  await waitForBaselines(iclRegion(other));
  const otherBaselines = (await iclRegion(other).getByRole('status').textContent()) ?? '';
  const curves = (s: string) => /Baselines ready: .* \(seed \d+/.exec(s)?.[0];
  expect(curves(otherBaselines)).toBe(curves(baselines));
  // a fresh run: nothing trained yet in the new page
  for (const title of RACE) await expect(modelStatus(other, title)).toHaveCount(0);
  await expect(other.getByRole('alert')).toHaveCount(0);
  await context.close();
});
