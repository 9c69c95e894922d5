import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { inspectCheckpoint } from '../train/checkpoint';
import { readSafetensors } from '../train/safetensors';
import { parseModels, parseTrainArgs, runTrain } from './train';

describe('cli train', () => {
  let out: string[];
  let err: string[];
  beforeEach(() => {
    out = [];
    err = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      err.push(String(s));
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  it('gives clear errors for bad task, model, backend, preset and parameter names', async () => {
    expect(await runTrain(['--task', 'linear'])).toBe(2);
    expect(err.join('\n')).toMatch(/unknown task "linear"/);
    expect(await runTrain(['--task', 'linear-regression', '--models', 'transformer,lstm'])).toBe(2);
    expect(err.join('\n')).toMatch(/unknown model "lstm".*transformer, mamba, mambaformer/);
    expect(await runTrain(['--task', 'linear-regression', '--backend', 'tpu'])).toBe(2);
    expect(err.join('\n')).toMatch(/unknown backend "tpu"; one of: cpu, wasm, webgpu/);
    expect(await runTrain(['--task', 'linear-regression', '--preset', 'huge'])).toBe(2);
    expect(err.join('\n')).toMatch(/unknown preset "huge"/);
    expect(await runTrain(['--task', 'linear-regression', '--k', '3'])).toBe(2);
    expect(err.join('\n')).toMatch(/unknown option --k.*--d, --n-points/);
    expect(await runTrain(['--task', 'linear-regression', '--d', '500'])).toBe(2);
    expect(err.join('\n')).toMatch(/task.params.d/);
    expect(await runTrain(['--task', 'linear-regression', '--steps', '0'])).toBe(2);
    expect(() => parseModels('')).toThrow(/at least one/);
    expect(await runTrain(['--help'])).toBe(0);
    expect(out.join('\n')).toMatch(/--models a,b,c/);
  });

  it('parses the preset, overrides and task parameters', () => {
    const c = parseTrainArgs([
      '--task',
      'sparse-parity',
      '--models',
      'Mamba,s4',
      '--steps',
      '7',
      '--seed',
      '5',
      '--lr',
      '0.002',
      '--d',
      '5',
    ]);
    if (c === 'help') throw new Error('help');
    expect(c.experiment.models.map((m) => m.arch)).toEqual(['mamba', 's4']);
    expect(c.experiment.steps).toBe(7);
    expect(c.experiment.seed).toBe(5);
    expect(c.experiment.optimizer.lr).toBe(0.002);
    expect(c.experiment.task.params).toMatchObject({ d: 5, nPoints: 40, k: 2 });
    expect(c.out).toBe(join('runs', 'sparse-parity-classroom-seed5'));
    const p = parseTrainArgs(['--task', 'linear-regression', '--preset', 'paper']);
    if (p === 'help') throw new Error('help');
    expect(p.experiment.models[0].dModel).toBe(128);
    expect(p.experiment.steps).toBe(500_000);
  });

  it('trains, writes curves and checkpoints, and prints the table next to the baselines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'icl-train-'));
    const code = await runTrain([
      '--task',
      'linear-regression',
      '--models',
      'transformer',
      '--steps',
      '4',
      '--batch-size',
      '4',
      '--eval-prompts',
      '16',
      '--eval-every',
      '2',
      '--d',
      '2',
      '--n-points',
      '4',
      '--seed',
      '2',
      '--out',
      dir,
    ]);
    expect(code).toBe(0);
    for (const f of [
      'experiment.json',
      'baselines.csv',
      'baselines.json',
      'transformer-loss.csv',
      'transformer-icl.csv',
      'transformer-icl.json',
      'transformer.safetensors',
      'transformer.optim.safetensors',
      'icl-table.txt',
      'summary.json',
    ]) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    const loss = readFileSync(join(dir, 'transformer-loss.csv'), 'utf8').trim().split('\n');
    expect(loss[0]).toBe('step,loss,grad_norm');
    expect(loss).toHaveLength(5);
    const icl = JSON.parse(readFileSync(join(dir, 'transformer-icl.json'), 'utf8'));
    expect(icl.history.map((h: { step: number }) => h.step)).toEqual([2, 4]);
    const info = inspectCheckpoint(readFileSync(join(dir, 'transformer.safetensors')));
    expect(info.errors).toEqual([]);
    expect(info.step).toBe(4);
    expect(info.experiment?.seed).toBe(2);
    const file = readSafetensors(readFileSync(join(dir, 'transformer.safetensors')));
    expect(file.tensors.get('_backbone.wpe.weight')?.shape).toEqual([8, 32]);
    const table = out.join('\n');
    expect(table).toMatch(/examples\s+Transformer\s+Least squares\s+3-NN\s+Averaging/);
    expect(err.join('')).toMatch(/Transformer \([\d,]+ params\).*steps\/s/);
    expect(tf.getBackend()).toBe('cpu');
  });
});
