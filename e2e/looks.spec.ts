/**
 * Looks and reach: the light / dark projector themes (remembered, following the system on a first
 * visit), the layout from a 360 px phone to a 4K screen, and the keyboard-shortcut dialog. No
 * training here (see runs.spec.ts for shortcuts that train).
 */
import { expect, iclRegion, test, waitForBaselines } from './fixtures';

const rootFontSize = (page: import('@playwright/test').Page) =>
  page.evaluate(() => Number.parseFloat(getComputedStyle(document.documentElement).fontSize));

const scrollWidth = (page: import('@playwright/test').Page) =>
  page.evaluate(() => document.scrollingElement?.scrollWidth ?? Number.POSITIVE_INFINITY);

test('the theme follows the system on a first visit, then the switch, remembered', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/');
  const html = page.locator('html');
  const projector = page.getByRole('button', { name: 'Projector theme', exact: true });
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await expect(projector).toHaveAttribute('aria-pressed', 'true');
  const darkSize = await rootFontSize(page);
  const darkBg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);

  await projector.click();
  await expect(html).toHaveAttribute('data-theme', 'light');
  await expect(projector).toHaveAttribute('aria-pressed', 'false');
  // the projector theme has larger type and another background
  expect(darkSize).toBeGreaterThan(await rootFontSize(page));
  expect(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)).not.toBe(
    darkBg,
  );

  // the choice outlives a reload, whatever the system prefers
  await page.reload();
  await expect(html).toHaveAttribute('data-theme', 'light');
  await projector.focus();
  await page.keyboard.press('Enter');
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.reload();
  await expect(html).toHaveAttribute('data-theme', 'dark');
});

test('a light system gets the light theme', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
});

for (const scheme of ['light', 'dark'] as const) {
  test(`a 360 px phone: nothing overflows, training stays possible and says it is slow (${scheme})`, async ({
    page,
  }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.setViewportSize({ width: 360, height: 800 });
    await page.goto('/');
    await waitForBaselines(iclRegion(page));
    expect(await scrollWidth(page)).toBeLessThanOrEqual(360);
    // every setting open, still no sideways scrolling
    await page.getByText('Settings', { exact: true }).click();
    await expect(page.getByLabel('Width D', { exact: true })).toBeVisible();
    expect(await scrollWidth(page)).toBeLessThanOrEqual(360);
    // the chart fits the screen
    const chart = iclRegion(page).locator('.plot-chart').first();
    const box = await chart.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 360).toBe(true);
    await expect(page.getByRole('note')).toContainText('training works here, but it will be slow');
    await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
  });
}

/** How far the page scrolls sideways (0 when nothing is wider than the viewport). */
const overflowX = (page: import('@playwright/test').Page) =>
  page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });

for (const scheme of ['light', 'dark'] as const) {
  test(`1280x900 and a 360 px phone: no sideways scrolling with a recorded run and its probe table (${scheme})`, async ({
    page,
  }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto('/');
    await expect(page.locator('html')).toHaveAttribute('data-theme', scheme);
    await waitForBaselines(iclRegion(page));
    expect(await overflowX(page)).toBe(0);
    // the probe's prediction table (five columns) appears with the recording's probes
    await page.getByRole('button', { name: 'Watch a recorded run', exact: true }).click();
    const table = page
      .getByRole('region', { name: 'Probe', exact: true })
      .getByRole('table', { name: 'Predictions at the query' });
    await expect(table).toContainText('recorded step');
    expect(await overflowX(page)).toBe(0);
    // on a phone the table scrolls within its own box: every column is still there to scroll to
    await page.setViewportSize({ width: 360, height: 800 });
    await expect.poll(() => overflowX(page)).toBe(0);
    await expect(table.getByRole('columnheader', { name: /Squared error|Correct/ })).toBeAttached();
  });
}

test('a 4K screen uses the width: wide charts, a wrapping gallery, no overflow', async ({ page }, info) => {
  await page.setViewportSize({ width: 3840, height: 2160 });
  await page.goto('/');
  await waitForBaselines(iclRegion(page));
  expect(await scrollWidth(page)).toBeLessThanOrEqual(3840);
  const main = await page.locator('main').boundingBox();
  expect(main?.width ?? 0).toBeGreaterThan(2000);
  const chart = await iclRegion(page).locator('.plot-chart').first().boundingBox();
  expect(chart?.width ?? 0).toBeGreaterThan(900);
  // the gallery wraps into rows of many cards
  const cards = page.locator('.task-card');
  const first = await cards.nth(0).boundingBox();
  const second = await cards.nth(1).boundingBox();
  expect(second?.y).toBe(first?.y);
  // no phone note on a big screen with WebGPU (headless Chromium exposes navigator.gpu)
  if (await page.evaluate(() => 'gpu' in navigator)) await expect(page.getByRole('note')).toHaveCount(0);
  await page.screenshot({ path: info.outputPath('4k.png') });
});

test('"?" lists the shortcuts; typing in a field triggers none', async ({ page }) => {
  await page.goto('/');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeHidden();
  await page.locator('body').press('?');
  await expect(dialog).toBeVisible();
  for (const key of ['Space', 'S', 'R', '?'])
    await expect(dialog.locator('kbd', { hasText: key }).first()).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  // in the learning-rate field, "?", "s" and "r" are just characters
  const lr = page.getByLabel('Learning rate', { exact: true });
  await lr.click();
  await page.keyboard.type('?sr ');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status').filter({ hasText: /^Transformer: step/ })).toHaveCount(0);
  await lr.fill('');
  await lr.press('Escape');

  // the header button opens it too, and Close closes it, returning focus
  const open = page.getByRole('button', { name: 'Keyboard shortcuts', exact: true });
  await open.click();
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(open).toBeFocused();
});
