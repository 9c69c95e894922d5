/**
 * Not a test: saves screenshots of the first page for the docs. Runs only with SCREENSHOTS=1:
 *   SCREENSHOTS=1 npx playwright test e2e/screenshot.spec.ts
 */
import { chooseTask, iclRegion, test, waitForBaselines } from './fixtures';

test.skip(!process.env.SCREENSHOTS, 'set SCREENSHOTS=1 to write docs/screenshots');

for (const scheme of ['light', 'dark'] as const) {
  test(`screenshot of the first page (${scheme})`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto('/');
    const task = process.env.SCREENSHOT_TASK ?? 'Linear regression';
    await chooseTask(page, task);
    await waitForBaselines(iclRegion(page));
    const name = scheme === 'light' ? 'first-page.png' : 'first-page-dark.png';
    await page.screenshot({ path: `docs/screenshots/${name}`, fullPage: true });
  });
}
