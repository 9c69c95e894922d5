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
