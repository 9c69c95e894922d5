/**
 * The first page: the task gallery and the baseline ICL curves of the chosen task.
 */
import { TASKS } from '../src/tasks';
import {
  chooseTask,
  expect,
  iclRegion,
  taskCard,
  taskGroup,
  taskRadio,
  test,
  waitForBaselines,
} from './fixtures';

/** Task names of paper.md that the picker must offer whatever else it offers. */
const PAPER_TASKS = [
  'Linear regression',
  'Sparse linear regression',
  'Decision tree',
  'Orthogonal-outlier regression',
  'Many-outlier regression',
  'Sparse parity',
];

test.beforeEach(async ({ page }) => {
  await page.goto('/');
});

test('the page loads with its title and the two main parts', async ({ page }) => {
  await expect(page).toHaveTitle('ICL Lab');
  await expect(page.getByRole('heading', { level: 1, name: 'ICL Lab' })).toBeVisible();
  await expect(taskGroup(page)).toBeVisible();
  await expect(iclRegion(page)).toBeVisible();
  // every chart panel explains itself, opened from the keyboard
  for (const name of ['Training loss', 'Attention', 'SSM state']) {
    const note = page
      .getByRole('region', { name, exact: true })
      .locator('summary', { hasText: 'How to read this' });
    await note.focus();
    await page.keyboard.press('Enter');
    await expect(
      page.getByRole('region', { name, exact: true }).locator('details.reading-note p').first(),
    ).toBeVisible();
  }
});

test('the "Task" group lists every task, each with a summary and a prompt sketch', async ({ page }) => {
  const radios = taskGroup(page).getByRole('radio');
  await expect(radios).toHaveCount(TASKS.length);
  for (const title of [...PAPER_TASKS, ...TASKS.map((t) => t.title)]) {
    await expect(taskRadio(page, title)).toHaveCount(1);
  }
  for (const task of TASKS) {
    const card = taskCard(page, task.title);
    await expect(card).toContainText(task.summary);
    await expect(card.getByRole('img')).toBeVisible();
    // the sketch draws something (points, bits or pairs)
    expect(await card.locator('svg circle, svg rect, svg text').count()).toBeGreaterThan(0);
  }
  // exactly one task is chosen at first
  await expect(taskGroup(page).getByRole('radio', { checked: true })).toHaveCount(1);
});

test('choosing a task shows its baseline curves', async ({ page }) => {
  const region = iclRegion(page);

  await chooseTask(page, 'Linear regression');
  await waitForBaselines(region);
  await expect(region.getByRole('heading', { level: 2 })).toContainText('Linear regression');
  const legend = region.locator('.plot-legend-text');
  await expect(legend.filter({ hasText: 'Least squares' })).toHaveCount(1);
  await expect(region.getByText('number of in-context examples', { exact: true })).toBeVisible();
  await expectLinesDrawn(region, 2);
  await expect(region.getByText('How to read this')).toBeVisible();

  await chooseTask(page, 'Sparse linear regression');
  await expect(region.getByRole('heading', { level: 2 })).toContainText('Sparse linear regression');
  await waitForBaselines(region);
  await expect(legend.filter({ hasText: 'Least squares' })).toHaveCount(1);
  await expect(legend.filter({ hasText: /^Lasso/ }).first()).toBeVisible();
  await expectLinesDrawn(region, 3);
  await expect(region.getByRole('alert')).toHaveCount(0);

  // going back shows the first task's curves again at once (cached)
  await chooseTask(page, 'Linear regression');
  await waitForBaselines(region);
  await expect(legend.filter({ hasText: /^Lasso/ })).toHaveCount(0);
});

test('switching away from a slow task cancels it', async ({ page }) => {
  const region = iclRegion(page);
  await waitForBaselines(region);
  // the 2-layer NN task trains a small network per prompt and position: tens of seconds
  await chooseTask(page, '2-layer ReLU NN regression');
  await expect(region.getByRole('status')).toContainText('Computing baselines on 256 prompts');
  await chooseTask(page, 'Sparse linear regression');
  // not queued behind the slow task: the worker was stopped and a fresh one started
  await expect(region.getByRole('status')).toContainText('Baselines ready', { timeout: 45_000 });
  await expect(region.getByRole('heading', { level: 2 })).toContainText('Sparse linear regression');
  await expect(region.locator('.plot-legend-text').filter({ hasText: /^Lasso/ })).toHaveCount(1);
});

test('a task without classical baselines says so', async ({ page }) => {
  const region = iclRegion(page);
  await chooseTask(page, 'Sparse parity');
  await waitForBaselines(region);
  await expect(region).toContainText('No classical baseline applies to this task');
  await expect(region.locator('path.plot-line')).toHaveCount(0);
});

test('the task picker works from the keyboard', async ({ page }) => {
  const first = TASKS[0].title;
  const second = TASKS[1].title;
  await expect(taskRadio(page, first)).toBeChecked();
  // the header's tools (theme, shortcuts) come first in the tab order
  const focused = () => taskRadio(page, first).evaluate((el) => el === document.activeElement);
  for (let i = 0; i < 6 && !(await focused()); i++) await page.keyboard.press('Tab');
  await expect(taskRadio(page, first)).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await expect(taskRadio(page, second)).toBeFocused();
  await expect(taskRadio(page, second)).toBeChecked();
  const region = iclRegion(page);
  await expect(region.getByRole('heading', { level: 2 })).toContainText(second);
  await waitForBaselines(region);
  await expectLinesDrawn(region, 2);
  await page.keyboard.press('ArrowLeft');
  await expect(taskRadio(page, first)).toBeChecked();
  await expect(region.getByRole('heading', { level: 2 })).toContainText(first);
  await waitForBaselines(region);
});

/** Every curve of the legend (at least `atLeast`) is drawn as a real line. */
async function expectLinesDrawn(region: ReturnType<typeof iclRegion>, atLeast: number) {
  // the chart renders after the status says ready (lazy chunk, a measuring pass, then redraws in a
  // transition, so the legend can still grow): poll legend, lines and their drawn paths together
  const legend = region.locator('.plot-legend-item');
  const lines = region.locator('path.plot-line');
  const state = async () => {
    const items = await legend.count();
    const drawn = await lines.evaluateAll(
      (paths) =>
        paths.filter(
          (p) => (p.getAttribute('d') ?? '').length > 10 && (p as SVGPathElement).getTotalLength() > 20,
        ).length,
    );
    return {
      enough: items >= atLeast,
      linesMatchLegend: (await lines.count()) === items,
      drawnAll: drawn === items,
    };
  };
  await expect
    .poll(state, { message: 'every legend entry drawn as a line', timeout: 60_000 })
    .toEqual({ enough: true, linesMatchLegend: true, drawnAll: true });
}
