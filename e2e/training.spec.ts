/**
 * Live training in Web Workers: a three-model race on linear regression, one worker per model.
 * Runs in two Playwright projects: 'webgpu' (Chromium with --enable-unsafe-webgpu: SwiftShader's
 * WebGPU adapter) and 'no-webgpu' (no adapter: the workers fall back and the page says so).
 * Sizes are tiny (one layer of width 8) so it runs on a 2-core CI machine.
 */
import {
  chooseModels,
  chooseTask,
  expect,
  iclRegion,
  lossRegion,
  modelStatus,
  stepOf,
  test,
  useTinySizes,
} from './fixtures';

const RACE = ['Transformer', 'Mamba', 'MambaFormer'];
/** the first steps compile every shader (slow on SwiftShader with three workers on two cores) */
const FIRST_STEPS_MS = 240_000;

test.beforeEach(async ({ page }, info) => {
  // the 'webgpu' project is about the WebGPU race (its kernels): fixed by the address, since on a
  // software adapter the device probe would pick wasm (e2e/device.spec.ts)
  await page.goto(info.project.name === 'webgpu' ? '/?backend=webgpu' : '/');
  await chooseTask(page, 'Linear regression');
});

test('three models race: metrics from every worker; pause, step, resume, reset', async ({ page }, info) => {
  test.setTimeout(420_000);
  const webgpu = info.project.name === 'webgpu';
  await chooseModels(page, RACE);
  // more steps than a fast machine runs before Pause (a finished run cannot be paused)
  await useTinySizes(page, { Steps: 1_000_000 });
  await page.getByRole('button', { name: 'Train', exact: true }).click();

  // every worker reports its backend, then losses
  for (const title of RACE) {
    const status = modelStatus(page, title);
    await expect(status).toContainText(webgpu ? ' · webgpu · ' : / · (webgl|wasm|cpu) · /, {
      timeout: FIRST_STEPS_MS,
    });
    await expect.poll(() => stepOf(status), { timeout: FIRST_STEPS_MS }).toBeGreaterThanOrEqual(1);
  }
  // without WebGPU the device probe chose the backend and says why (no fallback alert: the
  // workers start on the chosen backend)
  if (!webgpu)
    await expect(page.getByRole('status').filter({ hasText: /^Backend: / })).toContainText(
      'not available here: webgpu',
    );
  await expect(lossRegion(page).locator('.plot-legend-item')).toHaveCount(RACE.length, {
    timeout: 30_000,
  });
  await expect(lossRegion(page).locator('path.plot-line')).toHaveCount(RACE.length);

  // pause: every model stops (within a step) and stays stopped
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  const paused: number[] = [];
  for (const title of RACE) {
    const status = modelStatus(page, title);
    await expect(status).toContainText('· paused', { timeout: 120_000 });
    paused.push(await stepOf(status));
  }
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
  await page.waitForTimeout(1500);
  for (const [i, title] of RACE.entries()) expect(await stepOf(modelStatus(page, title))).toBe(paused[i]);
  // the pause evaluated every model on the baselines' prompts
  const legend = iclRegion(page).locator('.plot-legend-text');
  for (const title of RACE) await expect(legend.filter({ hasText: `${title} (step` })).toHaveCount(1);
  await expect(legend.filter({ hasText: 'Least squares' })).toHaveCount(1);
  // nothing went wrong on the way (no divergence, crash, GPU error or storage notice)
  await expect(page.getByRole('alert')).toHaveCount(0);

  // one step: exactly one more step each, then paused again
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  for (const [i, title] of RACE.entries()) {
    const status = modelStatus(page, title);
    await expect.poll(() => stepOf(status), { timeout: 120_000 }).toBe(paused[i] + 1);
    await expect(status).toContainText('· paused');
  }

  // resume: training goes on from there
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  for (const [i, title] of RACE.entries()) {
    await expect
      .poll(() => stepOf(modelStatus(page, title)), { timeout: 120_000 })
      .toBeGreaterThan(paused[i] + 1);
  }

  // reset: every model back to its initialisation
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  for (const title of RACE) {
    const status = modelStatus(page, title);
    await expect(status).toContainText(`${title}: step 0 /`, { timeout: 120_000 });
    await expect(status).toContainText('· ready');
  }
  await expect(lossRegion(page).locator('path.plot-line')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
});

test('runs persist: after a reload a run resumes from its last checkpoint', async ({ page }, info) => {
  test.skip(info.project.name !== 'webgpu', 'one backend is enough for storage');
  test.setTimeout(300_000);
  await chooseModels(page, ['Transformer']);
  await useTinySizes(page);
  const status = modelStatus(page, 'Transformer');
  for (const step of [1, 2]) {
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await expect.poll(() => stepOf(status), { timeout: FIRST_STEPS_MS }).toBe(step);
    await expect(status).toContainText('· paused');
  }
  const runs = page.getByRole('region', { name: 'Runs', exact: true });
  await expect(runs.getByRole('listitem')).toHaveCount(1);
  await expect(runs.getByRole('listitem')).toContainText('Transformer 2 of 400 steps', { timeout: 30_000 });

  await page.reload();
  await expect(runs.getByRole('listitem')).toHaveCount(1);
  await expect(modelStatus(page, 'Transformer')).toHaveCount(0);
  await runs.getByRole('button', { name: 'Resume', exact: true }).click();
  await expect(status).toContainText('Transformer: step 2 / 400', { timeout: FIRST_STEPS_MS });
  await expect(status).toContainText('· paused');
  // the settings came back with the run
  await expect(page.getByLabel('Width D', { exact: true })).toHaveValue('8');
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await expect.poll(() => stepOf(status), { timeout: 120_000 }).toBe(3);

  // deleting the run stops its worker and forgets it
  await runs.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(runs.getByRole('listitem')).toHaveCount(0);
  await expect(modelStatus(page, 'Transformer')).toHaveCount(0);
  await page.reload();
  await expect(runs).toContainText('Runs are kept in this browser');
});

test('the WASM backend loads its binaries from this origin and trains (?backend=wasm)', async ({
  page,
}, info) => {
  test.skip(info.project.name !== 'no-webgpu', 'one project is enough');
  test.setTimeout(300_000);
  const wasmRequests: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('.wasm')) wasmRequests.push(new URL(r.url()).pathname);
  });
  await page.goto('/?backend=wasm');
  await chooseTask(page, 'Linear regression');
  await chooseModels(page, ['Mamba']);
  await useTinySizes(page, { Steps: 1_000_000 });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const status = modelStatus(page, 'Mamba');
  await expect(status).toContainText(' · wasm · ', { timeout: FIRST_STEPS_MS });
  await expect.poll(() => stepOf(status), { timeout: FIRST_STEPS_MS }).toBeGreaterThanOrEqual(2);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(status).toContainText('· paused', { timeout: 120_000 });
  expect(wasmRequests.length).toBeGreaterThan(0);
  expect(wasmRequests.every((p) => p.startsWith('/assets/'))).toBe(true);
});

test('Speed: slow motion slows the workers down, full speed brings them back, nothing restarts', async ({
  page,
}, info) => {
  test.skip(info.project.name !== 'no-webgpu', 'one project is enough');
  test.setTimeout(300_000);
  await page.goto('/?backend=wasm');
  await chooseTask(page, 'Linear regression');
  await chooseModels(page, ['Transformer']);
  // enough steps that the run cannot end during the test on a fast machine (a finished run shows no
  // rate, which would pass the slow-motion check and fail the full-speed one)
  await useTinySizes(page, { Steps: 1_000_000 });
  // changed settings: the preset select says so
  await expect(page.getByLabel('Preset', { exact: true })).toHaveValue('custom');
  const speed = page.getByLabel('Speed', { exact: true });
  await expect(speed).toHaveValue('0');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const status = modelStatus(page, 'Transformer');
  const rate = async () => Number(/([\d.]+) steps\/s/.exec((await status.textContent()) ?? '')?.[1] ?? -1);
  await expect.poll(rate, { timeout: FIRST_STEPS_MS }).toBeGreaterThan(3);
  await speed.selectOption({ label: 'Slow motion (1 step every 2 s)' });
  // a rate shown (so the run is still training) and below the slow-motion pace
  await expect
    .poll(
      async () => {
        const r = await rate();
        return r >= 0 && r < 0.8;
      },
      { timeout: 30_000 },
    )
    .toBe(true);
  const before = await stepOf(status);
  await page.waitForTimeout(4000);
  const after = await stepOf(status);
  expect(after).toBeGreaterThanOrEqual(before);
  expect(after - before).toBeLessThanOrEqual(3);
  await speed.selectOption({ label: 'Full speed' });
  // the rate shows again once the meter has steps at the new pace: on a loaded 2-core machine that
  // can take longer than 30 s, so wait as for the first steps
  await expect.poll(rate, { timeout: FIRST_STEPS_MS }).toBeGreaterThan(3);
  expect(await stepOf(status)).toBeGreaterThan(after);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(status).toContainText('· paused', { timeout: 120_000 });
});
