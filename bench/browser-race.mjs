#!/usr/bin/env node
/**
 * Browser benchmark of the live training race (npm run bench:browser; builds first).
 *
 * Serves dist/ with `vite preview`, opens the page in headless Chromium (scripts/find-browser.mjs: CHROMIUM_PATH,
 * a system Chromium or Playwright's; --enable-unsafe-webgpu, so without a GPU the adapter is SwiftShader's) and drives
 * it like a user: three models (Transformer, Mamba, MambaFormer) on linear regression, started with
 * Train. It measures, over a window after the first steps:
 *   - steps per second per model (from the status lines),
 *   - the longest main-thread task (PerformanceObserver 'longtask', which reports tasks > 50 ms),
 *   - bytes and messages per second posted by the workers to the page (the Diagnostics counters),
 *   - each worker's live tensor count at the start and the end of the window;
 * then a soak phase on ?backend=cpu (fast on a CPU-only machine) that trains for --soak-steps
 * steps and checks the tensor count stays constant. Prints the figures and appends them to
 * bench/RESULTS.md with the date, the device and the command.
 *
 * After the window (untraced, so the figure is not inflated by tracing), a second window of
 * --trace-seconds records a Chromium trace (timeline + V8 CPU profiler) and attributes each main-
 * thread task over 50 ms to what it was made of (trace-attribution.mjs: events, JS functions mapped
 * through the build's source maps, the app code on the stack). It also reports the page's initial
 * JavaScript (entry chunk + static imports, gzip) and checks TensorFlow.js is not in it
 * (initial-js.mjs).
 *
 * Options: --seconds N (window, default 60)   --size tiny|small|classroom (default tiny; small: the classroom preset at D 32, batch 64)
 *          --soak-steps N (default 2000; 0 skips the soak)   --trace-seconds N (default 20; 0: none)
 *          --trace-file PATH (keep the raw trace, for chrome://tracing or the DevTools performance panel)
 *          --backend webgpu|webgl|wasm|cpu (the race's ?backend=; default the page's choice)
 *          --models Transformer,Mamba (default Transformer,Mamba,MambaFormer)   --port N (default 4179)   --no-webgpu   --no-write
 */
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, type as osType, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, serve, snapshotBuild } from './browser-kit.mjs';
import { initialJavaScript } from './initial-js.mjs';
import {
  attributeLongTasks,
  describeTask,
  sourceMapLookup,
  summariseAttribution,
} from './trace-attribution.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const flag = (name) => argv.includes(`--${name}`);
const SECONDS = Number(opt('seconds', 60));
const SIZE = opt('size', 'tiny');
const SOAK_STEPS = Number(opt('soak-steps', 2000));
const TRACE_SECONDS = Number(opt('trace-seconds', 20));
const TRACE_FILE = opt('trace-file', null);
const WEBGPU = !flag('no-webgpu');
const WRITE = !flag('no-write');
const PORT = Number(opt('port', 4179));
// the race's backend: ?backend=NAME on the page (default: the page's own choice)
const BACKEND = opt('backend', null);
// the models of the race (--models Transformer,Mamba: fewer models, more cores each)
const RACE = opt('models', 'Transformer,Mamba,MambaFormer').split(',');

const TINY = {
  'Width D': 8,
  Layers: 1,
  Heads: 2,
  'State size N': 4,
  'Batch size': 16,
  'Evaluation prompts': 16,
  'Evaluate every (steps)': 100,
  Steps: 100000,
};

// --size small: the classroom preset at D 32 and batch 64 (the layers as the preset's), a step about
// an eighth of the preset's (D 64, batch 256), the classroom size of the figures before 2026-12-03
const SMALL = { 'Width D': 32, 'Batch size': 64 };

function log(...a) {
  console.error('[bench]', ...a);
}

async function openPage(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  // the benchmark's own instrument (not part of the app): every main-thread task over 50 ms
  await page.addInitScript(() => {
    window.__longTasks = [];
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries())
          window.__longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
    } catch {
      window.__longTasks = null;
    }
  });
  await page.goto(url);
  return { page, errors };
}

async function setUp(page, models, sizes) {
  for (const title of ['Transformer', 'Mamba', 'MambaFormer', 'Standard hybrid', 'S4', 'S4-Mamba']) {
    const box = page.getByRole('checkbox', { name: title, exact: true });
    if (models.includes(title)) await box.check();
    else await box.uncheck();
  }
  await page.getByText('Settings', { exact: true }).click();
  for (const [label, value] of Object.entries(sizes)) {
    const f = page.getByLabel(label, { exact: true });
    await f.fill(String(value));
    await f.press('Enter');
  }
  await page.getByText('Diagnostics', { exact: true }).click();
}

async function snapshot(page, models) {
  return page.evaluate((titles) => {
    const status = [...document.querySelectorAll('[role="status"]')].map((e) => e.textContent ?? '');
    const out = { t: performance.now(), models: {}, bytes: 0, events: 0 };
    for (const title of titles) {
      const line = status.find((s) => s.startsWith(`${title}: step`)) ?? '';
      const step = Number(/: step (\d+)/.exec(line)?.[1] ?? -1);
      const backend = / · (webgpu|webgl|wasm|cpu) · /.exec(line)?.[1] ?? '?';
      const row = [...document.querySelectorAll('.diagnostics tbody tr')].find(
        (r) => r.querySelector('th')?.textContent === title,
      );
      const tensors = Number(row?.querySelector('.diag-tensors')?.textContent ?? Number.NaN);
      const backendSummary = row?.querySelectorAll('td')[0]?.textContent ?? '';
      out.models[title] = { step, backend, tensors, backendSummary, line };
    }
    const total = document.querySelector('.diag-total');
    out.bytes = Number(total?.getAttribute('data-bytes') ?? 0);
    out.events = Number(total?.getAttribute('data-events') ?? 0);
    return out;
  }, models);
}

async function waitUntil(page, models, predicate, timeoutMs, what) {
  const start = Date.now();
  for (;;) {
    const s = await snapshot(page, models);
    if (predicate(s)) return s;
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s.models)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function longTasks(page, from, to) {
  const all = await page.evaluate(() => window.__longTasks);
  if (all === null) return { supported: false, count: 0, max: 0 };
  const inWindow = all.filter((t) => t.start >= from && t.start <= to);
  return {
    supported: true,
    count: inWindow.length,
    max: inWindow.reduce((m, t) => Math.max(m, t.duration), 0),
    maxOverall: all.reduce((m, t) => Math.max(m, t.duration), 0),
  };
}

async function race(browser, url, dist) {
  const { page, errors } = await openPage(browser, BACKEND ? `${url}?backend=${BACKEND}` : url);
  const classroom = { 'Evaluate every (steps)': 100, Steps: 100000 };
  await setUp(page, RACE, SIZE === 'tiny' ? TINY : SIZE === 'small' ? { ...SMALL, ...classroom } : classroom);
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const warm = await waitUntil(
    page,
    RACE,
    (s) => RACE.every((m) => s.models[m].step >= 5),
    600_000,
    'the first steps',
  );
  const warmupSeconds = (Date.now() - t0) / 1000;
  log(`warm after ${warmupSeconds.toFixed(0)} s; measuring ${SECONDS} s`);
  const loadBefore = loadavg()[0];
  await page.waitForTimeout(SECONDS * 1000);
  const end = await snapshot(page, RACE);
  // how busy the machine was (the workers, the software GPU, anything else running)
  const load = loadavg()[0];
  const dt = (end.t - warm.t) / 1000;
  const tasks = await longTasks(page, warm.t, end.t);
  const attribution = TRACE_SECONDS > 0 ? await traced(browser, page, url, dist) : null;
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  const result = {
    warmupSeconds,
    seconds: dt,
    models: Object.fromEntries(
      RACE.map((m) => [
        m,
        {
          backend: end.models[m].backendSummary || end.models[m].backend,
          stepsPerSecond: (end.models[m].step - warm.models[m].step) / dt,
          steps: [warm.models[m].step, end.models[m].step],
          tensors: [warm.models[m].tensors, end.models[m].tensors],
        },
      ]),
    ),
    bytesPerSecond: (end.bytes - warm.bytes) / dt,
    messagesPerSecond: (end.events - warm.events) / dt,
    longTasks: tasks,
    load,
    loadBefore,
    attribution,
    errors,
  };
  await page.close();
  return result;
}

const TRACE_CATEGORIES = [
  'toplevel',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'v8',
  'v8.execute',
  'disabled-by-default-v8.cpu_profiler',
  'blink.user_timing',
];

/** Source-map lookup for the page's scripts: a served URL -> <the build copy>/<path>.map. */
function distLookup(url, dist) {
  const origin = new URL(url).origin;
  const cache = new Map();
  return (scriptUrl, line0, col0) => {
    if (!scriptUrl.startsWith(origin)) return null;
    let lookup = cache.get(scriptUrl);
    if (lookup === undefined) {
      const file = join(dist, new URL(scriptUrl).pathname.replace(/^\//, ''));
      lookup = existsSync(`${file}.map`)
        ? sourceMapLookup(JSON.parse(readFileSync(`${file}.map`, 'utf8')))
        : null;
      cache.set(scriptUrl, lookup);
    }
    return lookup ? lookup(line0, col0) : null;
  };
}

/** A traced window while the race trains: what each main-thread task over 50 ms was. */
async function traced(browser, page, url, dist) {
  log(`tracing ${TRACE_SECONDS} s`);
  const from = await page.evaluate(() => performance.now());
  await browser.startTracing(page, { categories: TRACE_CATEGORIES });
  await page.waitForTimeout(TRACE_SECONDS * 1000);
  const buffer = await browser.stopTracing();
  if (TRACE_FILE) writeFileSync(TRACE_FILE, buffer);
  const to = await page.evaluate(() => performance.now());
  const observed = await longTasks(page, from, to);
  const trace = JSON.parse(buffer.toString('utf8'));
  const events = Array.isArray(trace) ? trace : trace.traceEvents;
  // tasks from 20 ms: the longest one is reported even when none reaches 50 ms
  const all = attributeLongTasks(events, { minMs: 20, lookup: distLookup(url, dist) });
  const tasks = all.filter((t) => t.wallMs >= 50);
  const page20 = all.filter((t) => !t.instrument);
  return {
    seconds: TRACE_SECONDS,
    observed,
    longestMs: page20.length ? page20[0].wallMs : null,
    longestCpuMs: page20.length ? page20[0].cpuMs : null,
    summary: summariseAttribution(tasks),
    maxCpuMs: tasks.filter((t) => !t.instrument).reduce((m, t) => Math.max(m, t.cpuMs ?? 0), 0),
    load: loadavg()[0],
    longest: tasks.filter((t) => !t.instrument).slice(0, 5),
  };
}

async function soak(browser, url) {
  const { page, errors } = await openPage(browser, `${url}?backend=cpu`);
  await setUp(page, RACE, { ...TINY, 'Batch size': 8, 'Evaluate every (steps)': 500 });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const first = await waitUntil(
    page,
    RACE,
    (s) => RACE.every((m) => s.models[m].step >= 50),
    600_000,
    'step 50',
  );
  const t0 = Date.now();
  const last = await waitUntil(
    page,
    RACE,
    (s) => RACE.every((m) => s.models[m].step >= SOAK_STEPS),
    3_600_000,
    `step ${SOAK_STEPS}`,
  );
  const tasks = await longTasks(page, first.t, last.t);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await page.close();
  return {
    seconds: (Date.now() - t0) / 1000,
    models: Object.fromEntries(
      RACE.map((m) => [
        m,
        {
          backend: last.models[m].backend,
          steps: [first.models[m].step, last.models[m].step],
          tensors: [first.models[m].tensors, last.models[m].tensors],
        },
      ]),
    ),
    longTasks: tasks,
    errors,
  };
}

function device(browserVersion, adapter) {
  const cpu = cpus();
  return `${osType()} ${release()}, ${cpu.length} × ${cpu[0]?.model?.trim() ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Chromium ${browserVersion}; WebGPU adapter: ${adapter}`;
}

const fmt = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : String(v));

function report(r, s, initial, dev, command) {
  const lines = [];
  lines.push(`## Browser race (${new Date().toISOString().slice(0, 19).replace('T', ' ')} UTC)`);
  lines.push('');
  lines.push(`- Device: ${dev}`);
  lines.push(`- Command: \`${command}\``);
  lines.push(
    `- Race: ${RACE.join(', ')} on linear regression (classroom d 5, N 11), ${SIZE} sizes${SIZE === 'tiny' ? ' (D 8, 1 layer, 2 heads, N 4, batch 16)' : SIZE === 'small' ? ' (the classroom preset at D 32, batch 64)' : ''}; ${WEBGPU ? 'WebGPU flag on' : 'WebGPU flag off'}; first steps after ${fmt(r.warmupSeconds, 0)} s; window ${fmt(r.seconds, 0)} s.`,
  );
  lines.push('');
  lines.push('| model | backend | steps/s | steps in window | tensors (start → end) |');
  lines.push('|---|---|---|---|---|');
  for (const [m, v] of Object.entries(r.models)) {
    lines.push(
      `| ${m} | ${v.backend} | ${fmt(v.stepsPerSecond, 2)} | ${v.steps[0]} → ${v.steps[1]} | ${v.tensors[0]} → ${v.tensors[1]} |`,
    );
  }
  lines.push('');
  const total = Object.values(r.models).reduce((sum, v) => sum + v.stepsPerSecond, 0);
  lines.push(
    `- All models together: ${fmt(total, 1)} steps/s. Machine load (1-minute load average, ${cpus().length} cores, the race's own workers included): ${fmt(r.loadBefore, 2)} as the window began, ${fmt(r.load, 2)} at its end.`,
  );
  const lt = r.longTasks;
  lines.push(
    `- Longest main-thread task while training: ${lt.supported ? (lt.count === 0 ? 'none over 50 ms' : `${fmt(lt.max, 0)} ms (${lt.count} tasks over 50 ms in ${fmt(r.seconds, 0)} s)`) : 'longtask not supported'}${lt.supported ? `; longest since page load (incl. start-up) ${fmt(lt.maxOverall, 0)} ms` : ''}.`,
  );
  lines.push(
    `- Posted to the page: ${fmt(r.bytesPerSecond / 1024, 1)} kB/s in ${fmt(r.messagesPerSecond, 1)} messages/s.`,
  );
  if (s) {
    lines.push(
      `- Soak on \`?backend=cpu\`: ${Object.entries(s.models)
        .map(
          ([m, v]) => `${m} steps ${v.steps[0]} → ${v.steps[1]}, tensors ${v.tensors[0]} → ${v.tensors[1]}`,
        )
        .join(
          '; ',
        )} (${fmt(s.seconds, 0)} s; longest main-thread task ${s.longTasks.count === 0 ? 'none over 50 ms' : `${fmt(s.longTasks.max, 0)} ms, ${s.longTasks.count} tasks over 50 ms`}).`,
    );
  }
  if (r.attribution) {
    const a = r.attribution;
    const sum = a.summary;
    const top = (items) => items.map((x) => `${x.label} ${fmt(x.ms, 0)} ms`).join(', ') || 'none';
    lines.push(
      `- What the long tasks were (traced window of ${a.seconds} s, Chromium trace + V8 CPU profiler, source-mapped): ${sum.count} tasks over 50 ms${sum.instrument ? ` (and ${sum.instrument} of the profiler starting, left out)` : ''} (${fmt(sum.wallMs, 0)} ms wall, ${fmt(sum.cpuMs, 0)} ms of it on the CPU); by kind: ${top(sum.kinds)}; JS by module: ${top(sum.modules)}; app code on the stack: ${top(sum.app)}; set going by: ${top(sum.triggers.slice(0, 4))}.`,
    );
    lines.push(
      sum.count
        ? `- CPU time of the main thread's longest tasks (traced window): at most ${fmt(a.maxCpuMs, 0)} ms; the rest of their wall time the thread waited for a core (load average ${fmt(a.load, 1)} on ${cpus().length} cores during the trace, ${fmt(r.load, 1)} at the end of the window).`
        : `- No main-thread task over 50 ms in the traced window either (load average ${fmt(a.load, 1)} on ${cpus().length} cores during the trace, ${fmt(r.load, 1)} at the end of the window).`,
    );
    lines.push(
      `- Longest main-thread task in the traced window (tracing makes tasks longer): ${a.longestMs === null ? 'none of 20 ms or more' : `${fmt(a.longestMs, 0)} ms wall, ${a.longestCpuMs === null ? '?' : fmt(a.longestCpuMs, 0)} ms CPU`}.`,
    );
    for (const t of a.longest.filter((x) => !x.instrument).slice(0, 3)) lines.push(`  - ${describeTask(t)}`);
  }
  if (initial) {
    lines.push(
      `- Initial JavaScript of the page (dist/index.html's module script + its static imports): ${fmt(initial.gzip / 1024, 1)} kB gzip (${fmt(initial.bytes / 1024, 1)} kB raw) in ${initial.files.length} file${initial.files.length === 1 ? '' : 's'} (${initial.files.map((f) => `${f.file} ${fmt(f.gzip / 1024, 1)} kB`).join(', ')}); TensorFlow.js in it: ${initial.tfjs.length ? `YES (${initial.tfjs.join(', ')})` : 'no (only in the workers)'}.`,
    );
  }
  const errors = [...r.errors, ...(s?.errors ?? [])];
  if (errors.length) lines.push(`- Console errors: ${errors.length} (first: ${errors[0].slice(0, 200)})`);
  lines.push('');
  return lines.join('\n');
}

async function main() {
  const command = `npm run bench:browser${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const dist = snapshotBuild(root);
  const initial = initialJavaScript(dist);
  console.log(JSON.stringify({ initialJavaScript: initial }, null, 2));
  const { stop, url } = await serve(root, dist, PORT);
  const browser = await launchBrowser(WEBGPU);
  try {
    log('race', url);
    const r = await race(browser, url, dist);
    console.log(JSON.stringify({ race: r }, null, 2));
    let s = null;
    if (SOAK_STEPS > 0) {
      log(`soak: ${SOAK_STEPS} steps on cpu`);
      s = await soak(browser, url);
      console.log(JSON.stringify({ soak: s }, null, 2));
    }
    const adapter = r.models[RACE[0]].backend;
    const text = report(r, s, initial, device(browser.version(), adapter), command);
    console.log(`\n${text}`);
    if (initial.tfjs.length) process.exitCode = 1;
    if (WRITE) {
      const file = join(root, 'bench/RESULTS.md');
      const head =
        existsSync(file) && readFileSync(file, 'utf8').length > 0 ? '\n' : '# Benchmark results\n\n';
      appendFileSync(file, head + text);
      log('appended to bench/RESULTS.md');
    }
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
