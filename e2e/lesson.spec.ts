/**
 * A lesson a teacher can give (issue 13): walk the lesson from its first step to its last in the
 * present layout on a 1920x1080 projector (no text under 24 px in the lesson and the step's chart;
 * the chart across the width, its legend and the step's sentence seen whole without scrolling),
 * a classroom link that opens a lesson step on a phone and on a projector, and a recorded run whose
 * live controls rest and whose exit puts back the task and seed of before.
 */
import type { Page } from '@playwright/test';
import { deflateSync } from 'fflate';
import { expect, iclRegion, taskRadio, test } from './fixtures';

const lessonRegion = (page: Page) => page.getByRole('region', { name: 'Lesson', exact: true });
const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });

function payloadLink(json: unknown): string {
  const bytes = deflateSync(new TextEncoder().encode(JSON.stringify(json)));
  return `/#x=${Buffer.from(bytes).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

/** Visible text in the lesson and the step's chart whose computed size is under `min` px. */
async function smallText(page: Page, min: number): Promise<string[]> {
  return page.evaluate((min) => {
    const out: string[] = [];
    const roots = document.querySelectorAll('.lesson-panel, .icl-panel, .replay-panel');
    for (const root of roots) {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const text = n.textContent?.trim();
        const el = n.parentElement;
        if (!text || !el) continue;
        const style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        const hidden =
          style.visibility === 'hidden' ||
          box.width === 0 ||
          box.height === 0 ||
          el.closest('[aria-hidden="true"], .visually-hidden, details:not([open]) > :not(summary)');
        if (hidden) continue;
        const size = Number.parseFloat(style.fontSize);
        if (size < min) out.push(`${size}px: ${text.slice(0, 40)}`);
      }
    }
    return out;
  }, min);
}

/**
 * The parts of the present layout that must be seen at once without scrolling: those not wholly
 * inside the window (the step's chart, its legend, the step's sentence), and how far the page is
 * scrolled. A line chart's legend must stand beside the plot (in its right half), not above it.
 */
async function offScreen(page: Page): Promise<{ scrollY: number; out: string[] }> {
  return page.evaluate(() => {
    const box = (selector: string) => document.querySelector(selector)?.getBoundingClientRect() ?? null;
    const chart = box('.icl-panel .chart-frame');
    // a line chart's legend, or the bars of a one-x chart (their labels are its legend)
    const legend = box('.icl-panel .chart-frame .plot-legend') ?? box('.icl-panel .chart-frame svg');
    const sentence = box('.lesson-panel [role="status"]');
    const out: string[] = [];
    for (const [name, b] of [
      ['chart', chart],
      ['legend', legend],
      ['sentence', sentence],
    ] as const) {
      if (!b || b.height === 0) out.push(`${name}: missing`);
      else if (b.top < 0 || b.bottom > window.innerHeight)
        out.push(`${name}: ${Math.round(b.top)}..${Math.round(b.bottom)} of ${window.innerHeight}`);
    }
    const inLegend = document.querySelector('.icl-panel .chart-frame .plot-legend');
    if (inLegend && chart && legend && legend.left < chart.left + chart.width / 2)
      out.push('legend: not beside');
    return { scrollY: window.scrollY, out };
  });
}

test('a lesson walked from the first step to the last in the present layout on a projector', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto('/');
  await page.getByRole('button', { name: 'Lesson', exact: true }).click();
  const lesson = lessonRegion(page);
  await expect(lesson).toContainText('step 1 of');
  const total = Number(/step 1 of (\d+)/.exec((await lesson.textContent()) ?? '')?.[1]);
  expect(total).toBeGreaterThanOrEqual(3);
  await lesson.getByRole('button', { name: 'Present', exact: true }).click();
  await expect(page.locator('html')).toHaveAttribute('data-present', 'on');
  await lesson.getByRole('button', { name: 'Light projector', exact: true }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'projector-light');
  const previous = lesson.getByRole('button', { name: 'Previous step', exact: true });
  const next = lesson.getByRole('button', { name: 'Next step', exact: true });
  await expect(previous).toBeDisabled();
  for (let i = 1; i <= total; i++) {
    await expect(lesson).toContainText(`step ${i} of ${total}`);
    expect(page.url()).toContain(`#lesson=mamba-icl&step=${i}&lv=1`);
    // the sentence is computed from the recording's curves (levels and marks, or the summary)
    await expect(lesson.getByRole('status')).toContainText(
      /^(Look at the (accuracy|error) over .*\d\.\d\d|Across \d recordings: )/,
      {
        timeout: 30_000,
      },
    );
    await expect(lesson).toContainText('Ask the class:');
    // the recording of the step plays in the chart, which spans the projector's width
    await expect(iclRegion(page)).toContainText('Transformer', { timeout: 30_000 });
    // a line chart, or (one x: vector MQAR) the recall chart under the bars
    await expect(iclRegion(page).locator('.plot-chart, .recharts-wrapper').first()).toBeVisible();
    const width = (await iclRegion(page).boundingBox())?.width ?? 0;
    expect(width).toBeGreaterThan(1800);
    // the chart (sized from the window's height), its legend and the sentence fit the projector
    await expect.poll(() => offScreen(page)).toEqual({ scrollY: 0, out: [] });
    expect(await smallText(page, 24)).toEqual([]);
    if (i < total) {
      // a clicker's PageDown, the arrow key and the button all step forward
      if (i === 1) await page.keyboard.press('PageDown');
      else if (i === 2) await page.keyboard.press('ArrowRight');
      else await next.click();
    }
  }
  await expect(next).toBeDisabled();
  await page.keyboard.press('PageUp');
  await expect(lesson).toContainText(`step ${total - 1} of ${total}`);
  await page.keyboard.press('ArrowLeft');
  await expect(lesson).toContainText(`step ${total - 2} of ${total}`);
  // the other parts of the page are out of the way while presenting
  await expect(page.getByRole('region', { name: 'Attention', exact: true })).toBeHidden();
  await lesson.getByRole('button', { name: 'Close the lesson', exact: true }).click();
  await expect(lesson).toHaveCount(0);
  await expect(page.locator('html')).not.toHaveAttribute('data-present', 'on');
});

for (const [device, viewport] of [
  ['phone', { width: 360, height: 800 }],
  ['projector', { width: 1920, height: 1080 }],
] as const) {
  test(`a classroom link opens a lesson step and plays it (${device})`, async ({ page }) => {
    await page.setViewportSize(viewport);
    await page.goto('/#lesson=mamba-icl&step=2&lv=1&lock=task,models,preset,optimizer.lr&hide=settings,runs');
    const lesson = lessonRegion(page);
    await expect(lesson).toContainText('step 2 of');
    await expect(lesson.getByRole('status')).toContainText(/^(Look at|Across)/, { timeout: 30_000 });
    const replay = page.getByRole('region', { name: 'Recorded run', exact: true });
    await expect(replay.getByRole('status')).toContainText(
      /Recorded run · step \d+ \/ \d+ · (playing|at the end)/,
    );
    // students cannot unlock; locked fields look locked; live controls rest while the recording plays
    await expect(page.getByRole('button', { name: /unlock/i })).toHaveCount(0);
    await expect(page.getByText(/Classroom view: 4 settings locked, 2 panels hidden/)).toBeVisible();
    await expect(field(page, 'Learning rate')).toBeDisabled();
    await expect(page.locator('.field .lock-mark').first()).toBeVisible();
    await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeDisabled();
    await expect(page.getByRole('region', { name: 'Runs', exact: true })).toHaveCount(0);
    // the class steps on; the teacher's shortcut unlocks
    await lesson.getByRole('button', { name: 'Next step', exact: true }).click();
    await expect(lesson).toContainText('step 3 of');
    expect(page.url()).toContain('lesson=mamba-icl&step=3&lv=1&lock=task,models,preset,optimizer.lr');
    await page.keyboard.press('Alt+Shift+U');
    await expect(page.getByText(/Classroom view:/)).toHaveCount(0);
    await expect(page.getByRole('region', { name: 'Runs', exact: true })).toBeVisible();
  });
}

test('the Classroom link dialog makes a link to the lesson step and names the unlock shortcut', async ({
  page,
}) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Lesson', exact: true }).click();
  await expect(lessonRegion(page)).toContainText('step 1 of');
  await page.getByRole('button', { name: 'Classroom link', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Classroom link' });
  await expect(dialog).toContainText('Alt+Shift+U');
  await expect(dialog.getByRole('checkbox', { name: /Open on this lesson step \(step 1\)/ })).toBeChecked();
  await dialog.getByRole('button', { name: 'Make the classroom link', exact: true }).click();
  await expect(page).toHaveURL(/#lesson=mamba-icl&step=1&lv=1&lock=task,models,preset&hide=settings,runs$/);
});

test('a recorded run rests the live controls; Stop watching puts back the task and seed', async ({
  page,
}) => {
  await page.goto(payloadLink({ v: 1, t: 'sparse-parity', seed: 5 }));
  await expect(taskRadio(page, 'Sparse parity')).toBeChecked();
  await page.getByRole('button', { name: 'Watch a recorded run', exact: true }).click();
  const replay = page.getByRole('region', { name: 'Recorded run', exact: true });
  await expect(replay.getByRole('status')).toContainText(/Recorded run · step \d+/);
  for (const name of ['Train', 'Step', 'Reset'])
    await expect(page.getByRole('button', { name, exact: true })).toBeDisabled();
  await expect(field(page, 'Preset')).toBeDisabled();
  await expect(field(page, 'Learning rate')).toBeDisabled();
  await expect(page.getByRole('checkbox', { name: 'Transformer', exact: true })).toBeDisabled();
  // the status lines say recorded, not paused; the seed change is announced
  const line = page.getByRole('status').filter({ hasText: 'Transformer: step' });
  await expect(line).toContainText('recorded');
  await expect(line).not.toContainText('paused');
  await expect(
    page.getByRole('status').filter({ hasText: 'The recorded run uses seed 0; the page had seed 5' }),
  ).toBeVisible();
  // Space does not start training a recording
  await page.locator('body').press(' ');
  await expect(page.getByRole('button', { name: 'Pause', exact: true })).toBeDisabled();
  await replay.getByRole('button', { name: 'Stop watching', exact: true }).click();
  await expect(taskRadio(page, 'Sparse parity')).toBeChecked();
  await expect(page.getByRole('status').filter({ hasText: 'Back to seed 5' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
  if (!(await field(page, 'Seed').isVisible())) await page.getByText('Settings', { exact: true }).click();
  await expect(field(page, 'Seed')).toHaveValue('5');
});
