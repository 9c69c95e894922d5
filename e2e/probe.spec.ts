/**
 * The probe lab on WebGPU (SwiftShader): a tiny two-model race on linear regression, two single
 * steps (a checkpoint at each), then the query point of the probe prompt moved with the keyboard:
 * every model answers the edited prompt and the maps say so; then the scrubber replays the
 * checkpoint of step 1 (in the checkpoint-probe worker) while the training workers stay at step 2.
 */
import type { Locator, Page } from '@playwright/test';
import { chooseModels, chooseTask, expect, modelStatus, stepOf, test, useTinySizes } from './fixtures';

const RACE = ['Transformer', 'Mamba'];
const FIRST_STEPS_MS = 240_000;

const probeRegion = (page: Page) => page.getByRole('region', { name: 'Probe', exact: true });

/** The cells [weights, prediction, target, error] of a model's row in the prediction table. */
function row(page: Page, model: string): Locator {
  return probeRegion(page)
    .getByRole('table', { name: 'Predictions at the query' })
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: model, exact: true }) });
}
const cell = (page: Page, model: string, i: number) => row(page, model).getByRole('cell').nth(i);

test('edit the probe prompt, see every model answer; replay an earlier checkpoint', async ({ page }) => {
  test.setTimeout(420_000);
  await page.goto('/');
  await chooseTask(page, 'Linear regression');
  await chooseModels(page, RACE);
  await useTinySizes(page);

  for (const step of [1, 2]) {
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    for (const title of RACE) {
      await expect.poll(() => stepOf(modelStatus(page, title)), { timeout: FIRST_STEPS_MS }).toBe(step);
      await expect(modelStatus(page, title)).toContainText('· paused');
    }
  }

  // the seeded probe prompt on the live weights
  for (const title of RACE)
    await expect(cell(page, title, 0)).toHaveText('step 2 (live)', { timeout: 60_000 });
  const before = await cell(page, 'Transformer', 1).textContent();
  const target = await cell(page, 'Transformer', 2).textContent();
  expect(before).toMatch(/^-?\d/);

  // move the query point with the keyboard: its x changes, y follows the hidden w
  const query = probeRegion(page).getByRole('slider', { name: 'Query point' });
  const x0 = Number(await query.getAttribute('aria-valuenow'));
  await query.focus();
  await query.press('PageUp');
  await query.press('ArrowRight');
  await expect.poll(async () => Number(await query.getAttribute('aria-valuenow'))).toBeCloseTo(x0 + 1.1, 2);
  await expect(probeRegion(page)).toContainText('Edited prompt');
  for (const title of RACE) {
    await expect(cell(page, title, 0)).toHaveText('step 2 (live, edited prompt)', { timeout: 60_000 });
  }
  await expect(cell(page, 'Transformer', 2)).not.toHaveText(target ?? '');
  await expect(cell(page, 'Transformer', 1)).not.toHaveText(before ?? '');
  await expect(page.getByRole('region', { name: 'Attention', exact: true })).toContainText('edited prompt');
  await expect(page.getByRole('region', { name: 'SSM state', exact: true })).toContainText('edited prompt');

  // the scrubber: back to the checkpoint of step 1, replayed in its own worker
  const scrubber = probeRegion(page).getByRole('slider', { name: 'Training step to replay' });
  await expect(scrubber).toBeEnabled();
  await scrubber.focus();
  await scrubber.press('Home');
  await expect(probeRegion(page)).toContainText('Replaying step 1');
  for (const title of RACE) {
    await expect(cell(page, title, 0)).toHaveText('step 1 (replayed checkpoint)', {
      timeout: FIRST_STEPS_MS,
    });
  }
  const attention = page.getByRole('region', { name: 'Attention', exact: true });
  await expect(attention).toContainText('step 1 · replayed checkpoint');
  await expect(page.getByRole('region', { name: 'SSM state', exact: true })).toContainText(
    'step 1 · replayed checkpoint',
  );
  // training was not disturbed
  for (const title of RACE) expect(await stepOf(modelStatus(page, title))).toBe(2);

  // back to live, then the seeded prompt again
  await scrubber.press('End');
  await expect(probeRegion(page)).toContainText('Live weights');
  await expect(cell(page, 'Transformer', 0)).toHaveText('step 2 (live, edited prompt)', { timeout: 60_000 });
  await probeRegion(page).getByRole('button', { name: 'Reset probe', exact: true }).click();
  await expect(cell(page, 'Transformer', 0)).toHaveText('step 2 (live)');
  await expect(cell(page, 'Transformer', 2)).toHaveText(target ?? '');

  // a point can also be dragged with the pointer: its x follows the mouse (a point no other covers:
  // points of the seeded prompt may overlap)
  let example = probeRegion(page).getByRole('slider', { name: 'Example 1', exact: true });
  for (let n = 1; n <= 8; n++) {
    const candidate = probeRegion(page).getByRole('slider', { name: `Example ${n}`, exact: true });
    if ((await candidate.count()) === 0) break;
    await candidate.scrollIntoViewIfNeeded();
    const b = (await candidate.boundingBox())!;
    const onTop = await page.evaluate(
      ([x, y]) => document.elementFromPoint(x, y)?.getAttribute('aria-label') ?? '',
      [b.x + b.width / 2, b.y + b.height / 2],
    );
    if (onTop === `Example ${n}`) {
      example = candidate;
      break;
    }
  }
  const ex0 = Number(await example.getAttribute('aria-valuenow'));
  const box = (await example.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await expect
    .poll(async () => Number(await example.getAttribute('aria-valuenow')))
    .toBeGreaterThan(ex0 + 0.5);
  await expect(cell(page, 'Transformer', 0)).toHaveText('step 2 (live, edited prompt)', { timeout: 60_000 });
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('sparse parity: flipping a bit of the query changes its input and every answer', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await chooseTask(page, 'Sparse parity');
  await chooseModels(page, ['Transformer']);
  await useTinySizes(page, { 'Examples N': 12 });
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await expect.poll(() => stepOf(modelStatus(page, 'Transformer')), { timeout: FIRST_STEPS_MS }).toBe(1);
  await expect(cell(page, 'Transformer', 0)).toHaveText('step 1 (live)', { timeout: 60_000 });
  const before = await cell(page, 'Transformer', 1).textContent();

  const grid = probeRegion(page).getByRole('table', { name: 'Prompt bits' });
  const first = grid.getByRole('button', { name: /^Query bit x1: / });
  const pressedBefore = await first.getAttribute('aria-pressed');
  // keyboard: the grid is one tab stop; arrows move, Enter flips
  await first.focus();
  await page.keyboard.press('ArrowRight');
  await expect(grid.getByRole('button', { name: /^Query bit x2: / })).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Enter');
  await expect(first).not.toHaveAttribute('aria-pressed', pressedBefore ?? '');
  await expect(cell(page, 'Transformer', 0)).toHaveText('step 1 (live, edited prompt)', { timeout: 60_000 });
  await expect(cell(page, 'Transformer', 1)).not.toHaveText(before ?? '');
  await expect(page.getByRole('region', { name: 'Attention', exact: true })).toContainText('edited prompt');
  await expect(page.getByRole('alert')).toHaveCount(0);
});
