/**
 * Maps that teach (issue 13): the attention and SSM maps of a recorded run carry token labels
 * (x / y / query by token kind), a colour scale with its range and a read-out of a cell that the
 * keyboard moves (an aria-live region); the Δ map has ticks and ‖h_t‖ an x axis. The first screen
 * at 1280 x 900 holds the task choice, Train and the in-context error chart; the Export menu leads
 * with everything as a .zip.
 */
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { expect, iclRegion, taskGroup, test, waitForBaselines } from './fixtures';

test('the maps are labelled, have a colour scale and read out cells by keyboard', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Watch a recorded run', exact: true }).click();
  const recorded = page.getByRole('region', { name: 'Recorded run', exact: true });
  await expect(recorded.getByRole('status')).toContainText(/Recorded run · step \d+/);
  await recorded.getByRole('button', { name: 'Pause replay' }).click();

  const attention = page.getByRole('region', { name: 'Attention', exact: true });
  const map = attention.getByRole('application', { name: /Transformer block 1 head 1: attention/ });
  await expect(map).toBeVisible();
  // what the strips along the axes mean, and the token ticks of a regression prompt
  const kinds = attention.getByRole('list', { name: 'Token kinds along the axes' });
  await expect(kinds).toContainText('x (an input)');
  await expect(kinds).toContainText('y (its label)');
  await expect(kinds).toContainText('query');
  const figure = attention.locator('figure').first();
  await expect(figure.locator('.map-axis text', { hasText: /^x1$/ }).first()).toBeAttached();
  await expect(figure.locator('.map-axis text', { hasText: /^x\?$/ }).first()).toBeAttached();
  // the colour scale with its range
  await expect(figure.locator('.map-legend-bar')).toBeVisible();
  await expect(figure.locator('.map-legend-values').first()).toHaveText('0');
  await expect(figure.locator('.map-legend-values').last()).toHaveText(/^[0-9.]+$/);

  // keyboard: focus, arrows move the cursor, the live read-out names both tokens and the value
  const readout = figure.locator('.map-readout');
  await expect(readout).toHaveAttribute('aria-live', 'polite');
  await map.focus();
  await page.keyboard.press('ArrowDown');
  await expect(readout).toHaveText(/^row x1 \(x of example 1\), column x1 \(x of example 1\): /);
  await page.keyboard.press('ArrowDown');
  await expect(readout).toHaveText(/^row y1 \(y of example 1\), column x1 \(x of example 1\): [0-9.]+$/);
  await page.keyboard.press('ArrowRight');
  await expect(readout).toHaveText(/^row y1 .*, column y1 \(y of example 1\): [0-9.]+$/);
  await expect(figure.locator('.map-cursor')).toBeVisible();
  // the pointer reads the cell under it
  const box = (await map.boundingBox())!;
  await page.mouse.move(box.x + box.width - 2, box.y + box.height - 2);
  await expect(readout).toHaveText(/^row x\? .*|^row y\d+ .*, column y\d+ /);

  // SSM: Δ with channel / token ticks, ‖h_t‖ with a token axis, implicit attention with its sign legend
  const ssm = page.getByRole('region', { name: 'SSM state', exact: true });
  const delta = ssm.locator('figure', { hasText: 'Δ (channels × tokens)' }).first();
  await expect(delta.locator('.map-axis').first().locator('text').first()).toHaveText('1');
  await expect(delta.locator('.map-axis').nth(1).locator('text', { hasText: /^x1$/ })).toBeAttached();
  const spark = ssm.getByRole('img', { name: /Mamba block 1: state norm/ }).first();
  await expect(spark.locator('.spark-axis text', { hasText: /^x1$/ })).toBeAttached();
  await expect(ssm.locator('.sign-legend')).toContainText('blue: positive weight');
  await expect(ssm.locator('.sign-legend')).toContainText('orange: negative');
  const implicit = ssm.getByRole('application', { name: /Mamba block 1: implicit attention/ }).first();
  await implicit.focus();
  await page.keyboard.press('ArrowDown');
  await expect(
    ssm
      .locator('.map-readout')
      .filter({ hasText: /^row x1 / })
      .first(),
  ).toBeVisible();
});

test('the first screen at 1280 x 900 holds the task choice, Train, a recorded run and the in-context error chart', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/');
  await waitForBaselines(iclRegion(page));
  const chart = iclRegion(page).locator('.plot-chart').first();
  await expect(chart).toBeVisible();
  const targets = {
    'task choice': taskGroup(page),
    Train: page.getByRole('button', { name: 'Train', exact: true }),
    'Watch a recorded run': page.getByRole('button', { name: 'Watch a recorded run', exact: true }),
    'in-context error chart': chart,
    'in-context error heading': iclRegion(page).getByRole('heading', { level: 2 }),
  };
  for (const [name, target] of Object.entries(targets)) {
    const box = await target.boundingBox();
    expect(box, name).not.toBeNull();
    expect(box!.y, `${name}: top`).toBeGreaterThanOrEqual(0);
    expect(box!.x, `${name}: left`).toBeGreaterThanOrEqual(0);
    expect(box!.y + box!.height, `${name}: bottom within 900 px`).toBeLessThanOrEqual(900);
    expect(box!.x + box!.width, `${name}: right within 1280 px`).toBeLessThanOrEqual(1280);
  }
  // no scrolling happened
  expect(await page.evaluate(() => window.scrollY)).toBe(0);
});

test('the Export menu starts with everything as a .zip, data before charts, the maps as one .zip', async ({
  page,
}) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Watch a recorded run', exact: true }).click();
  const recorded = page.getByRole('region', { name: 'Recorded run', exact: true });
  await recorded.getByRole('button', { name: 'Pause replay' }).click();
  const attention = page.getByRole('region', { name: 'Attention', exact: true });
  await expect(attention.locator('canvas').first()).toBeVisible();

  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const items = page.getByRole('menu', { name: 'Export' }).getByRole('menuitem');
  await expect(items.first()).toHaveText('Everything (.zip: data, model weights, charts)');
  const labels = await items.allTextContents();
  const at = (re: RegExp) => labels.findIndex((l) => re.test(l));
  const icl = at(/^In-context error .*\(SVG\)$/);
  expect(at(/^All curves \(CSV\)$/)).toBeGreaterThan(0);
  expect(at(/^All curves \(CSV\)$/)).toBeLessThan(icl);
  expect(at(/^All \d+ maps \(\.zip\)$/)).toBeLessThan(at(/head 1: attention .*\(PNG\)$/));
  expect(icl).toBeLessThan(at(/^All \d+ maps/));

  const mapsItem = items.filter({ hasText: /^All \d+ maps/ });
  const count = Number(/All (\d+) maps/.exec((await mapsItem.textContent()) ?? '')?.[1]);
  const [download] = await Promise.all([page.waitForEvent('download'), mapsItem.click()]);
  expect(download.suggestedFilename()).toMatch(/_maps\.zip$/);
  const zip = unzipSync(new Uint8Array(readFileSync(await download.path())));
  const names = Object.keys(zip);
  expect(names).toHaveLength(count);
  for (const n of names) {
    expect(n).toMatch(/^maps\/.*\.(png|svg)$/);
    if (n.endsWith('.png')) expect([...zip[n].subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  }
  await expect(page.getByRole('status').filter({ hasText: /Saved .*_maps\.zip/ })).toBeVisible();
});
