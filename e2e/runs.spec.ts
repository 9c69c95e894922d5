/**
 * The run history and the keyboard shortcuts, with real training: two runs that differ in width,
 * labelled by what changed, compared on one chart, deleted with Undo. Trains one tiny Transformer
 * on the CPU backend (?backend=cpu: this is about the page, not the backend, and the CPU is the
 * fastest here without a GPU), so it runs in the plain 'chromium' project.
 */
import type { Page } from '@playwright/test';
import { chooseModels, chooseTask, expect, modelStatus, stepOf, test, useTinySizes } from './fixtures';

const FIRST_STEP_MS = 120_000;

/** Put the focus on the page itself, as after clicking on some text. */
const focusPage = (page: Page) => page.getByRole('heading', { level: 1, name: 'ICL Lab' }).click();

async function trainAFewSteps(page: Page): Promise<void> {
  const status = modelStatus(page, 'Transformer');
  const from = await stepOf(status);
  await focusPage(page);
  await page.keyboard.press('Space');
  await expect(status).toContainText('· training', { timeout: FIRST_STEP_MS });
  await expect.poll(() => stepOf(status), { timeout: FIRST_STEP_MS }).toBeGreaterThanOrEqual(from + 3);
  await page.keyboard.press('Space');
  await expect(status).toContainText('· paused', { timeout: 60_000 });
}

test('shortcuts train, pause, step and reset; two runs are labelled, compared and deleted with undo', async ({
  page,
}, info) => {
  test.setTimeout(360_000);
  await page.goto('/?backend=cpu');
  await chooseTask(page, 'Linear regression');
  await chooseModels(page, ['Transformer']);
  await useTinySizes(page, { Steps: 100_000 });
  const status = modelStatus(page, 'Transformer');

  // s: one step; r: back to step 0 (neither fires while the focus is in a field)
  await focusPage(page);
  await page.keyboard.press('s');
  await expect.poll(() => stepOf(status), { timeout: FIRST_STEP_MS }).toBe(1);
  await expect(status).toContainText('· paused');
  await page.keyboard.press('r');
  await expect(status).toContainText('Transformer: step 0 /', { timeout: 60_000 });
  await page.getByLabel('Steps', { exact: true }).focus();
  await page.keyboard.press('s');
  await page.waitForTimeout(1000);
  expect(await stepOf(status)).toBe(0);

  // space: train, and pause (the pause evaluates the model)
  await trainAFewSteps(page);
  const runs = page.getByRole('region', { name: 'Runs', exact: true });
  // (the comparison's chart legends are lists too)
  const items = runs.getByRole('list', { name: 'Stored runs' }).getByRole('listitem');
  await expect(items).toHaveCount(1);

  // a wider model is a new run, labelled by what changed
  const width = page.getByLabel('Width D', { exact: true });
  await width.fill('16');
  await width.press('Enter');
  await expect(status).toContainText('Transformer: step 0 /', { timeout: 60_000 });
  await trainAFewSteps(page);
  await expect(items).toHaveCount(2);
  await expect(items.first().locator('.run-label')).toHaveText('D 8 -> 16');
  await expect(items.nth(1).locator('.run-label')).toHaveText(/^Linear regression · Transformer · seed/);

  // both runs on one chart: colour per model, run B dashed, a legend entry per line
  const compare = runs.getByRole('region', { name: 'Compare two runs', exact: true });
  await expect(compare.getByText('From A to B:')).toBeVisible();
  await expect(compare).toContainText('From A to B: D 8 -> 16');
  const loss = compare.getByRole('figure', { name: 'Training loss, runs A and B' });
  await expect(loss.locator('path.recharts-line-curve')).toHaveCount(2, { timeout: 30_000 });
  await expect(loss.locator('.recharts-legend-item-text')).toHaveText(['Transformer · A', 'Transformer · B']);
  const dashes = await loss
    .locator('path.recharts-line-curve')
    .evaluateAll((paths) => paths.map((p) => p.getAttribute('stroke-dasharray')));
  expect(dashes.filter((d) => d === '7 5')).toHaveLength(1);
  const icl = compare.getByRole('figure', { name: /^In-context error, runs A and B/ });
  await expect(icl.locator('path.recharts-line-curve')).toHaveCount(2, { timeout: 30_000 });

  await compare.screenshot({ path: info.outputPath('compare.png') });

  // choosing the runs the other way round reverses the label
  const runA = compare.getByLabel('Run A (solid lines)');
  const runB = compare.getByLabel('Run B (dashed lines)');
  const newest = await runB.inputValue();
  await runA.selectOption(newest);
  await expect(runA).toHaveValue(newest);
  await expect(runB).not.toHaveValue(newest);
  await expect(compare).toContainText('From A to B: D 16 -> 8');

  // delete with undo
  await items.nth(1).getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(items).toHaveCount(1);
  await expect(compare).toHaveCount(0);
  const undoNote = runs.getByRole('status');
  await expect(undoNote).toContainText('Deleted the run');
  await undoNote.getByRole('button', { name: 'Undo', exact: true }).click();
  await expect(items).toHaveCount(2);
  await expect(undoNote).toHaveText('');

  // deleted for good after a moment: gone after a reload too
  await items.nth(1).getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(items).toHaveCount(1);
  await expect(undoNote).toHaveText('', { timeout: 20_000 });
  await page.reload();
  await expect(runs.getByRole('listitem')).toHaveCount(1);
  await expect(runs.getByRole('listitem').locator('.run-label')).toHaveText(
    /^Linear regression · Transformer/,
  );
});
