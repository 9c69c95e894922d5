/**
 * Export (the 'webgpu' project: a tiny two-model race is trained first): every chart as SVG / PNG,
 * all curves as CSV and JSON, the run summary as Markdown and a model's checkpoint as safetensors,
 * each download parsed.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
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

const RACE = ['Transformer', 'Mamba'];

async function exportItem(page: Page, name: string | RegExp): Promise<{ file: string; bytes: Buffer }> {
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const item = page.getByRole('menuitem', { name, exact: typeof name === 'string' });
  const [download] = await Promise.all([page.waitForEvent('download'), item.first().click()]);
  const path = await download.path();
  await expect(
    page.getByRole('status').filter({ hasText: `Saved ${download.suggestedFilename()}` }),
  ).toBeVisible();
  return { file: download.suggestedFilename(), bytes: readFileSync(path) };
}

/** Width and height of a PNG (after checking its signature and IHDR chunk). */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(bytes.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

async function parseSvg(page: Page, text: string): Promise<string> {
  return page.evaluate((t) => {
    const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
    return doc.querySelector('parsererror') ? 'parse error' : (doc.documentElement.namespaceURI ?? 'none');
  }, text);
}

test('exports: charts, curves, summary and checkpoints are valid files', async ({ page }) => {
  test.setTimeout(480_000);
  await page.goto('/');
  await chooseTask(page, 'Linear regression');
  await chooseModels(page, RACE);
  await useTinySizes(page, { Steps: 100_000 });

  // before any model is built there is no checkpoint to offer; the menu works from the keyboard
  const exportButton = page.getByRole('button', { name: 'Export', exact: true });
  await exportButton.focus();
  await exportButton.press('ArrowDown');
  await expect(page.getByRole('menu', { name: 'Export' })).toBeVisible();
  await expect(page.getByRole('menuitem').first()).toBeFocused();
  await expect(page.getByRole('menuitem', { name: /checkpoint/ })).toHaveCount(0);
  await page.keyboard.press('Escape');
  await expect(page.getByRole('menu')).toHaveCount(0);
  await expect(exportButton).toBeFocused();

  // a tiny race: a few steps, pause, one step (which posts curves and probes)
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  for (const title of RACE) {
    await expect.poll(() => stepOf(modelStatus(page, title)), { timeout: 240_000 }).toBeGreaterThanOrEqual(2);
  }
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  for (const title of RACE)
    await expect(modelStatus(page, title)).toContainText('· paused', { timeout: 120_000 });
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  const legend = iclRegion(page).locator('.plot-legend-text');
  for (const title of RACE) {
    await expect(legend.filter({ hasText: `${title} (step` })).toHaveCount(1, { timeout: 120_000 });
  }
  await expect(lossRegion(page).locator('path.plot-line')).toHaveCount(RACE.length);
  const attention = page.getByRole('region', { name: 'Attention', exact: true });
  await expect(attention.locator('canvas').first()).toBeVisible({ timeout: 120_000 });

  // charts: the charts' SVGs (standalone: namespace, inline styles, legend) and PNGs
  const lossSvg = await exportItem(page, 'Training loss (SVG)');
  expect(lossSvg.file).toMatch(/^icl-lab_linear-regression_seed-0_training-loss\.svg$/);
  const lossText = lossSvg.bytes.toString('utf8');
  expect(lossText.startsWith('<?xml')).toBe(true);
  expect(lossText).toContain('xmlns="http://www.w3.org/2000/svg"');
  expect(await parseSvg(page, lossText)).toBe('http://www.w3.org/2000/svg');
  expect(lossText).toMatch(/style="[^"]*stroke: rgb\(/);
  for (const title of RACE) expect(lossText).toContain(`>${title}</text>`);
  expect(lossText).toContain('training step');

  const iclSvg = await exportItem(page, /^In-context error · Linear regression \(SVG\)$/);
  const iclText = iclSvg.bytes.toString('utf8');
  expect(await parseSvg(page, iclText)).toBe('http://www.w3.org/2000/svg');
  expect(iclText).toContain('Least squares');

  const iclPng = await exportItem(page, /^In-context error · Linear regression \(PNG\)$/);
  const svgWidth = Number(/<svg [^>]*width="(\d+)"/.exec(iclText)?.[1]);
  expect(pngSize(iclPng.bytes).width).toBe(2 * svgWidth);

  const heat = await exportItem(page, /^Transformer block 1 head 1: attention .*\(PNG\)$/);
  expect(heat.file).toMatch(/\.png$/);
  const heatSize = pngSize(heat.bytes);
  expect(Math.max(heatSize.width, heatSize.height)).toBeGreaterThanOrEqual(384);

  // all curves: CSV (every model's loss, ICL of models and baselines with the band) and JSON
  const csv = (await exportItem(page, 'All curves (CSV)')).bytes.toString('utf8');
  const lines = csv.trimEnd().split('\r\n');
  expect(lines[0]).toBe('series,source,model,label,head,metric,x_kind,x,y,lo,hi,count,trained_steps');
  for (const title of RACE) {
    expect(lines.some((l) => l.startsWith(`loss,model,${title},`))).toBe(true);
    expect(lines.some((l) => l.startsWith(`icl,model,${title},`))).toBe(true);
  }
  const ls = lines.filter((l) => l.startsWith('icl,baseline,,Least squares,'));
  expect(ls.length).toBeGreaterThan(2);
  for (const l of lines.slice(1)) expect(l.split(',').length).toBeGreaterThanOrEqual(13);

  const json = JSON.parse((await exportItem(page, 'All curves (JSON)')).bytes.toString('utf8'));
  expect(json.format).toBe('icl-lab-curves');
  expect(json.loss.map((l: { model: string }) => l.model)).toEqual(RACE);
  expect(json.experiment.models.map((m: { dModel: number }) => m.dModel)).toEqual([8, 8]);
  const band = json.icl.find((c: { source: string }) => c.source === 'baseline');
  expect(band.lo.length).toBe(band.mean.length);
  expect(band.hi.length).toBe(band.mean.length);

  // the run summary: configuration, models, the final ICL table
  const md = (await exportItem(page, 'Run summary (Markdown)')).bytes.toString('utf8');
  expect(md).toMatch(/^# ICL Lab run: Linear regression\n/);
  expect(md).toContain('## Configuration');
  expect(md).toMatch(/\| Transformer \| 8 \| 1 \| 2 \|/);
  expect(md).toMatch(/\| examples \| [^\n]*Least squares[^\n]*Mamba \(step \d+\) \|/);
  expect(md).toMatch(/Reopen this experiment: <http:\/\/127\.0\.0\.1:\d+\/#x=[A-Za-z0-9_-]+>/);

  // a checkpoint: safetensors (8-byte header length, JSON header, tensors to the end of the file)
  const ckpt = await exportItem(page, /^Mamba checkpoint, step \d+ \(safetensors\)$/);
  expect(ckpt.file).toMatch(/^icl-lab_linear-regression_mamba_step-\d+\.safetensors$/);
  const n = Number(ckpt.bytes.readBigUInt64LE(0));
  expect(n).toBeGreaterThan(2);
  expect(n).toBeLessThan(ckpt.bytes.length);
  const header = JSON.parse(ckpt.bytes.subarray(8, 8 + n).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const tensors = Object.entries(header).filter(([k]) => k !== '__metadata__');
  expect(tensors.length).toBeGreaterThan(3);
  let end = 0;
  for (const [, t] of tensors) {
    expect(t.dtype).toBe('F32');
    const count = t.shape.reduce((a, b) => a * b, 1);
    expect(t.data_offsets[1] - t.data_offsets[0]).toBe(4 * count);
    end = Math.max(end, t.data_offsets[1]);
  }
  expect(8 + n + end).toBe(ckpt.bytes.length);
  await expect(page.getByRole('alert')).toHaveCount(0);
});
