/**
 * The paper's Table 1 in one lesson: the "Table 1" button opens the grid of tasks x architectures
 * (the paper's mark beside ours, from table1.json: here a small file served by the test, since the
 * measured one is written by a sweep); a cell plays that task's recorded run at that model; a task
 * without a recording says so and offers those that have one. Also: "Watch a recorded run" never
 * plays another task's recording, and "Continue in PyTorch" downloads the authors' YAML config.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { parse as parseYaml } from 'yaml';
import { chooseTask, expect, test } from './fixtures';

// page.route does not see what a service worker answers: these tests serve their own files
test.use({ serviceWorkers: 'block' });

/**
 * The site's list of recordings cut down to three tasks, so that a task without one can be tested
 * (the site records every task).
 */
async function serveFewRecordings(page: Page): Promise<void> {
  const index = JSON.parse(readFileSync('public/replays/index.json', 'utf8')) as {
    replays: Array<{ task: string }>;
  };
  const keep = ['linear-regression', 'token-mqar', 'vector-mqar'];
  const few = { ...index, replays: index.replays.filter((r) => keep.includes(r.task)) };
  await page.route('**/replays/index.json', (route) =>
    route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(few) }),
  );
}

const seed = (n: number, value: number) => ({
  seed: n,
  run: `out/runs/linear-regression-mamba-s${n}`,
  mark: 'learns',
  gapClosed: 0.97,
  value,
  reference: 'Least squares',
  lastStep: 3000,
  stepsToVerdict: 1500 + 250 * n,
});

const TABLE = {
  version: 1,
  createdAt: '2026-12-01T10:00:00.000Z',
  machine: 'test machine',
  command: 'npm run cli -- table1 --from out --json public/table1.json',
  tasks: ['linear-regression'],
  archs: ['mamba'],
  cells: [
    {
      task: 'linear-regression',
      arch: 'mamba',
      paper: 'learns',
      seeds: [seed(0, 0.05), seed(1, 0.07), seed(2, 0.06)],
      mark: 'learns',
      agreeing: 3,
    },
  ],
};

async function serveTable(page: Page, body: string): Promise<void> {
  await page.route('**/table1.json', (route) =>
    route.fulfill({
      status: 200,
      contentType: body.startsWith('<') ? 'text/html' : 'application/json',
      body,
    }),
  );
}

const openTable = async (page: Page) => {
  await page.getByRole('button', { name: 'Table 1', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Table 1' });
  await expect(dialog).toBeVisible();
  return dialog;
};

const recorded = (page: Page) => page.getByRole('region', { name: 'Recorded run', exact: true });

test('Table 1: the grid, its caption, and a cell plays that task’s recording at that model', async ({
  page,
}) => {
  await serveTable(page, JSON.stringify(TABLE));
  await page.goto('/');
  const dialog = await openTable(page);
  await expect(dialog).toContainText('Measured 1 December 2026 on test machine: 3 runs, seeds 0, 1, 2');
  const grid = dialog.getByRole('table');
  await expect(grid.getByRole('columnheader')).toHaveText([
    'Task',
    'Transformer',
    'Mamba',
    'MambaFormer',
    'Standard hybrid',
    'S4-Mamba',
    'S4',
  ]);
  await expect(grid.getByRole('rowheader')).toHaveCount(10);
  await expect(grid.getByRole('rowheader').last()).toHaveText('Token MQAR');
  await expect(grid.getByRole('button')).toHaveCount(60);
  const cell = grid.getByRole('button', { name: /^Linear regression, Mamba: / });
  await expect(cell).toHaveAccessibleName(
    'Linear regression, Mamba: the paper: yes; ours: learns 3/3, 0.06 · 3 seeds · from step 2000; agrees. Opens the recording.',
  );
  await expect(cell).toContainText('✓ agrees');
  // unmeasured cells are shown, in words
  await expect(
    grid.getByRole('button', { name: /^Vector-valued MQAR, Mamba: the paper: fails; ours: not measured/ }),
  ).toBeVisible();

  // keyboard: arrows move between cells, Enter opens one
  await grid.getByRole('button', { name: /^Linear regression, Transformer: / }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(cell).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(recorded(page).getByRole('status')).toContainText(/Recorded run · step \d+ \/ \d+/);
  await expect(recorded(page)).toContainText('Linear regression');
  await expect(recorded(page)).toContainText('Watching Mamba');
  // the caption is generated from the recorded curves
  await expect(recorded(page)).toContainText(
    /Measured: Error over \d+-\d+ examples at step \d+ \(seed 0\): /,
  );
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('Table 1: a task without a recording says so and offers those with one; a missing file is explained', async ({
  page,
}) => {
  // what a single-page server answers for a file it does not have
  await serveTable(page, '<!doctype html><html><body>ICL Lab</body></html>');
  await serveFewRecordings(page);
  await page.goto('/');
  const dialog = await openTable(page);
  await expect(dialog.getByRole('alert')).toContainText('The measured Table 1 is not on this site yet');
  await expect(dialog).toContainText("Nothing measured on this site yet: the paper's marks only");
  await dialog
    .getByRole('button', { name: /^Decision tree, Mamba: the paper: gap; ours: not measured/ })
    .click();
  await expect(dialog).toContainText('No recording of Decision tree yet.');
  const offered = dialog.getByRole('list', { name: 'Tasks with a recording' }).getByRole('button');
  await expect(offered).toHaveText(['Linear regression', 'Token MQAR', 'Vector-valued MQAR']);
  // nothing else started playing
  await expect(recorded(page).getByRole('status')).toHaveCount(0);
  await offered.filter({ hasText: 'Token MQAR' }).click();
  await expect(dialog).toBeHidden();
  await expect(recorded(page)).toContainText('Token MQAR');
  await expect(recorded(page).getByRole('status')).toContainText(/Recorded run · step \d+/);
});

test('Table 1: an invalid file is named as such', async ({ page }) => {
  await serveTable(page, JSON.stringify({ ...TABLE, version: 7 }));
  await page.goto('/');
  const dialog = await openTable(page);
  await expect(dialog.getByRole('alert')).toContainText('table1.json is not a Table 1 file');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: 'Table 1', exact: true })).toBeFocused();
});

test('Watch a recorded run never switches task: it names the missing one and lists the others', async ({
  page,
}) => {
  await serveFewRecordings(page);
  await page.goto('/');
  await chooseTask(page, 'Sparse parity');
  await page.getByRole('button', { name: 'Watch a recorded run', exact: true }).click();
  const panel = recorded(page);
  await expect(panel).toContainText('No recording of Sparse parity yet.');
  await expect(panel.getByRole('status')).toHaveCount(0);
  await panel.getByRole('button', { name: 'Vector-valued MQAR', exact: true }).click();
  await expect(panel.getByRole('status')).toContainText(/Recorded run · step \d+/);
  await expect(panel).not.toContainText('No recording of');
});

test('Continue in PyTorch: the authors’ YAML config of a model downloads and parses', async ({ page }) => {
  await page.goto('/?replay=linear-regression.iclreplay');
  const panel = recorded(page);
  await expect(panel.getByRole('status')).toContainText(/Recorded run · step \d+/);
  await panel.getByRole('button', { name: 'Pause replay' }).click();
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const item = page.getByRole('menuitem', { name: 'Mamba: Continue in PyTorch (YAML config)', exact: true });
  const [download] = await Promise.all([page.waitForEvent('download'), item.click()]);
  expect(download.suggestedFilename()).toBe('icl-lab_linear-regression_mamba_pytorch-config.yaml');
  const text = readFileSync(await download.path(), 'utf8');
  expect(text).toMatch(/^# Training config for the authors' code/);
  const config = parseYaml(text) as {
    inherit: string[];
    model: Record<string, unknown>;
    training: Record<string, unknown>;
  };
  expect(config.inherit).toEqual(['wandb.yaml']);
  expect(config.model.family).toBe('mamba');
  expect(config.model.n_dims).toBeGreaterThan(0);
  expect(config.training.task).toBe('linear_regression');
  expect(config.training.train_steps).toBeGreaterThan(0);
  expect(typeof config.training.learning_rate).toBe('number');
});
