/**
 * Shared test fixtures: every test fails if the page logs a console error, throws, or sends a
 * request anywhere but its own origin.
 */
import { test as base, expect, type Locator, type Page } from '@playwright/test';

export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page, baseURL }, use) => {
      const errors: string[] = [];
      const origin = new URL(baseURL ?? 'http://127.0.0.1').origin;
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (url.protocol.startsWith('http') && url.origin !== origin) {
          errors.push(`third-party request: ${request.url()}`);
        }
      });
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
      });
      page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
      page.on('requestfailed', (request) => {
        // a request the page itself gave up (a worker terminated while its script loaded, a
        // navigation) is not an error
        if (request.failure()?.errorText === 'net::ERR_ABORTED') return;
        errors.push(`request failed: ${request.url()} (${request.failure()?.errorText})`);
      });
      await use(errors);
      expect(errors, 'console errors, page errors, failed or third-party requests').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

export const taskGroup = (page: Page) => page.getByRole('group', { name: 'Task', exact: true });

export const taskRadio = (page: Page, title: string) =>
  taskGroup(page).getByRole('radio', { name: title, exact: true });

/** The card (label) holding a task's radio. */
export const taskCard = (page: Page, title: string) =>
  taskGroup(page)
    .locator('label')
    .filter({ has: page.getByRole('radio', { name: title, exact: true }) });

export const iclRegion = (page: Page) => page.getByRole('region', { name: 'In-context error', exact: true });

/** Click a task's card (the radio itself is visually hidden inside it). */
export async function chooseTask(page: Page, title: string): Promise<void> {
  await taskCard(page, title).click();
  await expect(taskRadio(page, title)).toBeChecked();
}

/** Wait until the region's status line says the baselines are ready (slow machines: minutes). */
export async function waitForBaselines(region: Locator): Promise<void> {
  await expect(region.getByRole('status')).toContainText('Baselines ready', { timeout: 150_000 });
}

// ---------------------------------------------------------------------------- training

export const lossRegion = (page: Page) => page.getByRole('region', { name: 'Training loss', exact: true });

/** The status line of one model ("Mamba: step 12 / 40 · ..."). */
export const modelStatus = (page: Page, title: string) =>
  page.getByRole('status').filter({ hasText: new RegExp(`^${title}: step`) });

/** The step number a model's status line shows. */
export async function stepOf(status: Locator): Promise<number> {
  const text = (await status.textContent()) ?? '';
  const m = /: step (\d+)/.exec(text);
  return m ? Number(m[1]) : -1;
}

/** Keep only these architectures checked. */
export async function chooseModels(page: Page, titles: readonly string[]): Promise<void> {
  for (const title of ['Transformer', 'Mamba', 'MambaFormer', 'Standard hybrid', 'S4', 'S4-Mamba']) {
    const box = page.getByRole('checkbox', { name: title, exact: true });
    if (titles.includes(title)) await box.check();
    else await box.uncheck();
  }
}

/**
 * Sizes small enough for a 2-core CI machine running three workers on SwiftShader: one layer of
 * width 8, batch 16, 16 evaluation prompts (one chunk, the training batch's shape).
 */
export async function useTinySizes(page: Page, sizes: Record<string, number> = {}): Promise<void> {
  const settings = page.getByText('Settings', { exact: true });
  if (!(await page.getByLabel('Width D', { exact: true }).isVisible())) await settings.click();
  const values: Record<string, number> = {
    'Width D': 8,
    Layers: 1,
    Heads: 2,
    'State size N': 4,
    'Batch size': 16,
    'Evaluation prompts': 16,
    'Evaluate every (steps)': 1000,
    Steps: 400,
    ...sizes,
  };
  for (const [label, value] of Object.entries(values)) {
    const field = page.getByLabel(label, { exact: true });
    // the panel shows only the model settings the chosen models have (no Heads for Mamba alone)
    if ((await field.count()) === 0 && ['Heads', 'State size N'].includes(label)) continue;
    await field.fill(String(value));
    await field.press('Enter');
  }
  await expect(page.getByRole('alert').filter({ hasText: 'cannot be trained' })).toHaveCount(0);
}
