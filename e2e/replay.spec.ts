/**
 * "Watch a recorded run" on a phone: no training, no TensorFlow.js. The device note offers it; the
 * replay (public/replays/, recorded with the CLI: docs/REPLAYS.md) fills the loss and ICL charts
 * and the attention map; play / pause and the step scrubber work; a corrupt replay says so.
 */
import { expect, iclRegion, lossRegion, test } from './fixtures';

test('a phone watches a recorded run: charts fill, scrub, pause, and no tfjs is loaded', async ({ page }) => {
  const heavy: string[] = [];
  page.on('request', (r) => {
    if (/training\.worker|replay\.worker|tfjs|\.wasm(\?|$)/.test(r.url())) heavy.push(r.url());
  });
  await page.setViewportSize({ width: 360, height: 800 });
  await page.goto('/');
  const note = page.getByRole('note');
  await expect(note).toContainText('it will be slow');
  const watch = note.getByRole('button', { name: 'Watch a recorded run', exact: true });
  await expect(watch).toBeVisible();
  await watch.click();

  const panel = page.getByRole('region', { name: 'Recorded run', exact: true });
  const status = panel.getByRole('status');
  await expect(status).toContainText(/Recorded run · step \d+ \/ \d+ · playing/);
  await expect(panel).toContainText('Linear regression');
  const total = Number(/ \/ (\d+)/.exec((await status.textContent()) ?? '')?.[1]);
  expect(total).toBeGreaterThan(0);
  const half = Math.round(total / 2);
  // the loss chart, the ICL chart (with the models beside the baselines) and the attention maps fill
  await expect(lossRegion(page).locator('.plot-line').first()).toBeVisible();
  await expect(iclRegion(page).locator('.plot-chart').first()).toBeVisible();
  await expect(iclRegion(page)).toContainText('Transformer', { timeout: 30_000 });
  const attention = page.getByRole('region', { name: 'Attention', exact: true });
  await expect(attention.getByRole('img', { name: /Transformer block 1 head 1: attention/ })).toBeVisible();
  const ssm = page.getByRole('region', { name: 'SSM state', exact: true });
  await expect(ssm.getByRole('img', { name: /Mamba block 1: implicit attention/ })).toBeVisible();
  // the status lines say where each model is, with the recorded backend
  await expect(page.getByRole('status').filter({ hasText: 'Transformer: step' })).toContainText(
    /webgpu|wasm|cpu/,
  );

  // scrub: the position follows the slider, also by keyboard
  const slider = panel.getByRole('slider', { name: 'Replay step' });
  await panel.getByRole('button', { name: 'Pause replay' }).click();
  await slider.fill(String(half));
  await expect(status).toContainText(`step ${half} / ${total} · paused`);
  // the maps are those of the last probe at or before that step
  await expect(attention.getByText(/· recorded step \d+/).first()).toBeVisible();
  const mapStep = Number(
    /· recorded step (\d+)/.exec((await attention.locator('h3').first().textContent()) ?? '')?.[1],
  );
  expect(mapStep).toBeLessThanOrEqual(half);
  expect(mapStep).toBeGreaterThan(0);
  await slider.focus();
  await page.keyboard.press('End');
  await expect(status).toContainText(`step ${total} / ${total} · at the end`);
  // paused: the position stays
  await slider.fill('20');
  await expect(status).toContainText(`step 20 / ${total} · paused`);
  await page.waitForTimeout(600);
  await expect(status).toContainText(`step 20 / ${total} · paused`);
  await panel.getByRole('button', { name: 'Play replay' }).click();
  await expect(status).toContainText('playing');
  await expect
    .poll(async () => Number(/step (\d+)/.exec((await status.textContent()) ?? '')?.[1] ?? 0))
    .toBeGreaterThan(20);
  await panel.getByRole('button', { name: 'Stop watching' }).click();
  await expect(watch).toBeVisible();
  expect(heavy, 'no training code or TensorFlow.js for a replay').toEqual([]);
});

test('a corrupt replay link shows an alert instead of a crash', async ({ page }) => {
  await page.route('**/replays/broken.iclreplay', (route) =>
    route.fulfill({ status: 200, contentType: 'application/octet-stream', body: 'this is not a replay' }),
  );
  await page.goto('/?replay=broken.iclreplay');
  const panel = page.getByRole('region', { name: 'Recorded run', exact: true });
  await expect(panel.getByRole('alert')).toContainText('This recorded run cannot be played');
  // the page still works: the button offers the recorded runs again, and Train is there
  await expect(panel.getByRole('button', { name: 'Watch a recorded run' })).toBeEnabled();
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
});
