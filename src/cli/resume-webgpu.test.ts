/**
 * `train --resume` on WebGPU with step replay (the H200 sweeps' setting): a run cut in two gives the
 * uninterrupted run's losses. Session 11's sweep found the resumed first step at loss 6.4 where the
 * uninterrupted run had 1.9: the loaded weights were uploaded lazily inside the first recorded step.
 * That shows only in a fresh process (in one that trained before, tfjs's state hid it), so each part
 * runs as its own CLI process, as the sweeps run it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupWebGpu } from '../kernels/testing/webgpu';

/** `npm run cli -- train ARGS` in a new process; its exit code. */
function cli(args: string[]): number {
  const r = spawnSync(join('node_modules', '.bin', 'tsx'), ['src/cli/main.ts', 'train', ...args], {
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (r.status !== 0) console.warn(r.stderr);
  return r.status ?? -1;
}

let gpu = false;
beforeAll(async () => {
  const r = await setupWebGpu();
  gpu = r.info !== null;
  if (!gpu) console.warn(`resume on WebGPU skipped: ${r.reason}`);
});

const RUN = [
  ...['--task', 'chain-of-thought', '--models', 'transformer', '--d-model', '16', '--layers', '1'],
  ...['--heads', '2', '--batch-size', '8', '--eval-every', '10', '--eval-prompts', '16'],
  ...['--no-baselines', '--backend', 'webgpu', '--seed', '1'],
];

describe('cli train --resume on WebGPU', () => {
  it('continues with step replay exactly where the uninterrupted run is', async () => {
    if (!gpu) return;
    const whole = mkdtempSync(join(tmpdir(), 'icl-gpu-whole-'));
    const cut = mkdtempSync(join(tmpdir(), 'icl-gpu-cut-'));
    expect(cli([...RUN, '--steps', '30', '--out', whole])).toBe(0);
    expect(cli([...RUN, '--steps', '20', '--checkpoint-every', '10', '--out', cut])).toBe(0);
    expect(cli([...RUN, '--steps', '30', '--resume', '--out', cut])).toBe(0);
    const rows = (dir: string) => readFileSync(join(dir, 'transformer-loss.csv'), 'utf8').trim().split('\n');
    expect(rows(cut)).toHaveLength(31);
    expect(rows(cut)).toEqual(rows(whole));
  }, 600_000);
});
