/**
 * A lesson's length on this device: the estimate the page shows before Train against what the page
 * then measures. Opens the built app in headless Chromium, picks a task (its lesson preset, as a
 * teacher would) and models, reads the estimate ("Shows at ~N steps, about M minutes ..."), trains,
 * and follows each model's step and the live verdict under the in-context chart (the caption
 * generated from the evaluations) until every model has trained the estimate's N steps or --minutes
 * have passed. Prints the estimate, the measured steps/s, when each model's verdict first read
 * "learns", and the time the measured speed gives for N steps.
 *   npx vite build && node bench/lesson-time.mjs --task "2-layer ReLU NN regression" --minutes 15
 * Options: --task TITLE (default "Linear regression")  --models Transformer,Mamba,MambaFormer
 *          --minutes N (default 10)  --backend NAME (?backend=; default: the page's Auto)
 *          --port N (default 4191)  --no-webgpu
 */

import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, serve, snapshotBuild } from './browser-kit.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const TASK = opt('task', 'Linear regression');
const MODELS = opt('models', 'Transformer,Mamba,MambaFormer').split(',');
const MINUTES = Number(opt('minutes', 10));
const BACKEND = opt('backend', null);
const PORT = Number(opt('port', 4191));
const WEBGPU = !argv.includes('--no-webgpu');
const log = (...a) => console.error('[lesson-time]', ...a);
const fmt = (x, d = 1) => (x === null || !Number.isFinite(x) ? '–' : x.toFixed(d));

async function setUp(page) {
  await page
    .getByRole('group', { name: 'Task', exact: true })
    .locator('label')
    .filter({ has: page.getByRole('radio', { name: TASK, exact: true }) })
    .click();
  for (const title of ['Transformer', 'Mamba', 'MambaFormer', 'Standard hybrid', 'S4', 'S4-Mamba']) {
    const box = page.getByRole('checkbox', { name: title, exact: true });
    if (MODELS.includes(title)) await box.check();
    else await box.uncheck();
  }
}

/** Each model's step, the live caption's value and mark for it, the backend line. */
function read(page) {
  return page.evaluate((titles) => {
    const status = [...document.querySelectorAll('[role="status"]')].map((e) => e.textContent ?? '');
    const caption = document.querySelector('.live-caption')?.textContent ?? '';
    const models = {};
    for (const title of titles) {
      const line = status.find((s) => s.startsWith(`${title}: step`)) ?? '';
      const step = Number(/: step (\d+)/.exec(line)?.[1] ?? -1);
      const m = new RegExp(
        `${title} ([0-9.e-]+) \\((learns|partly learns|fails)( since step (\\d+))?\\)`,
      ).exec(caption);
      models[title] = {
        step,
        value: m ? Number(m[1]) : null,
        mark: m ? m[2] : null,
        crashed: /crashed|stopped answering/.test(line),
      };
    }
    const backend = status.find((s) => s.startsWith('Backend:')) ?? '';
    return { t: performance.now(), models, caption, backend };
  }, MODELS);
}

async function main() {
  const dist = snapshotBuild(root);
  const { stop, url } = await serve(root, dist, PORT);
  const browser = await launchBrowser(WEBGPU);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(BACKEND ? `${url}?backend=${BACKEND}` : url);
    await setUp(page);
    const estimate = page.locator('.lesson-estimate[data-minutes]');
    await estimate.waitFor({ timeout: 180_000 });
    const estimateText = (await estimate.textContent()) ?? '';
    const estimateMinutes = Number(await estimate.getAttribute('data-minutes'));
    const steps =
      Number(/~(\d+)(k?) steps/.exec(estimateText)?.[1] ?? Number.NaN) *
      (/~\d+k steps/.test(estimateText) ? 1000 : 1);
    log(`estimate: ${estimateText}`);
    const loadBefore = loadavg()[0];
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    const t0 = (await read(page)).t;
    const learnt = Object.fromEntries(MODELS.map((m) => [m, null]));
    let first = null;
    let last = null;
    const deadline = Date.now() + MINUTES * 60_000;
    while (Date.now() < deadline) {
      await page.waitForTimeout(2000);
      last = await read(page);
      if (!first && MODELS.every((m) => last.models[m].step >= 1)) first = last;
      for (const m of MODELS) {
        const s = last.models[m];
        if (s.mark === 'learns' && !learnt[m]) {
          learnt[m] = { seconds: (last.t - t0) / 1000, step: s.step };
          log(`${m} learns at ${learnt[m].seconds.toFixed(0)} s, step ${s.step}`);
        }
      }
      // past the estimate's steps, and each model's evaluation there has been worded
      if (MODELS.every((m) => last.models[m].step >= steps && last.models[m].mark)) break;
      const down = MODELS.filter((m) => last.models[m].crashed);
      if (down.length) log(`crashed: ${down.join(', ')}`);
    }
    const elapsed = (last.t - t0) / 1000;
    const span = first ? (last.t - first.t) / 1000 : 0;
    const rows = MODELS.map((m) => {
      const rate = first && span > 0 ? (last.models[m].step - first.models[m].step) / span : null;
      return {
        model: m,
        step: last.models[m].step,
        rate,
        mark: last.models[m].mark,
        value: last.models[m].value,
        learnt: learnt[m],
      };
    });
    const slowest = Math.min(...rows.map((r) => r.rate ?? 0));
    const projected = slowest > 0 ? steps / slowest / 60 : null;
    const out = [
      `### Lesson time: ${TASK}, ${MODELS.join(' / ')} (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
      '',
      `- Command: \`node bench/lesson-time.mjs ${argv.join(' ')}\` on ${cpus().length} cores, load average ${fmt(loadBefore)} → ${fmt(loadavg()[0])}.`,
      `- ${last.backend}`,
      `- Estimate before Train: "${estimateText.trim()}" (${fmt(estimateMinutes)} min).`,
      `- Measured: ${fmt(elapsed / 60)} min of training${MODELS.every((m) => last.models[m].step >= steps) ? `, every model past step ${steps}` : ` (cut at ${MINUTES} min)`}; at the measured speed ${steps} steps take ${fmt(projected)} min (estimate ${fmt(estimateMinutes)}; ratio ${fmt(projected / estimateMinutes, 2)}).`,
      '',
      '| model | steps/s | last step | verdict now (value) | first read "learns" | worker |',
      '|---|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.model} | ${fmt(r.rate, 2)} | ${r.step} | ${r.mark ?? '–'} (${fmt(r.value, 2)}) | ${r.learnt ? `${fmt(r.learnt.seconds / 60)} min, step ${r.learnt.step}` : 'not yet'} | ${r.crashed ? 'crashed' : 'ok'} |`,
      ),
      '',
      `Caption at the end: ${last.caption}`,
    ].join('\n');
    console.log(out);
  } finally {
    await browser.close();
    stop();
    rmSync(dist, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
