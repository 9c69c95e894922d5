import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeReplay, parseReplayIndex } from '../formats/replay';
import { parseEvalRecords } from '../formats/table1';
import { inspectCheckpoint } from '../train/checkpoint';
import { readSafetensors } from '../train/safetensors';
import { parseModels, parseTrainArgs, runTrain, shouldStopAtVerdict } from './train';

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

  it('applies model sizes and warm-up to every model', () => {
    const c = parseTrainArgs([
      '--task',
      'linear-regression',
      '--models',
      'transformer,mamba',
      '--d-model',
      '64',
      '--layers',
      '3',
      '--heads',
      '8',
      '--d-state',
      '8',
      '--warmup',
      '200',
    ]);
    if (c === 'help') throw new Error('help');
    for (const m of c.experiment.models)
      expect(m).toMatchObject({ dModel: 64, nLayer: 3, nHead: 8, dState: 8 });
    expect(c.experiment.optimizer.warmupSteps).toBe(200);
    const d = parseTrainArgs([
      '--task',
      'linear-regression',
      '--set',
      'curriculum.dims.start=2',
      '--set',
      'curriculum.dims.interval=250',
      '--set',
      'models.0.dModel=48',
    ]);
    if (d === 'help') throw new Error('help');
    expect(d.experiment.curriculum.dims).toMatchObject({ start: 2, interval: 250 });
    expect(d.experiment.models[0].dModel).toBe(48);
    expect(() => parseTrainArgs(['--task', 'linear-regression', '--set', 'batchSize=0'])).toThrow(
      /batchSize/,
    );
    expect(() => parseTrainArgs(['--task', 'linear-regression', '--set', 'nope.x=1'])).toThrow(
      /not an object/,
    );
    expect(() => parseTrainArgs(['--task', 'linear-regression', '--d-model', '2'])).toThrow(/--d-model/);
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
      'transformer.yaml',
      'transformer-evals.jsonl',
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
    const evals = parseEvalRecords(readFileSync(join(dir, 'transformer-evals.jsonl'), 'utf8'));
    expect(evals.map((e) => e.step)).toEqual([2, 4]);
    expect(evals[0].heads[0].examples).toEqual([0, 1, 2, 3]);
    expect(evals[0].mark).toBeUndefined();
    const info = inspectCheckpoint(readFileSync(join(dir, 'transformer.safetensors')));
    expect(info.errors).toEqual([]);
    expect(info.step).toBe(4);
    expect(info.experiment?.seed).toBe(2);
    const file = readSafetensors(readFileSync(join(dir, 'transformer.safetensors')));
    expect(file.tensors.get('_backbone.wpe.weight')?.shape).toEqual([8, 64]);
    const table = out.join('\n');
    expect(table).toMatch(/examples\s+Transformer\s+Least squares\s+3-NN\s+Averaging/);
    expect(err.join('')).toMatch(/Transformer \([\d,]+ params\).*steps\/s/);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('--stop-at-verdict: marks every evaluation, computes only the reference baseline, stops on two learns', async () => {
    expect(shouldStopAtVerdict(['learns'])).toBe(false);
    expect(shouldStopAtVerdict(['learns', 'partial', 'learns'])).toBe(false);
    expect(shouldStopAtVerdict(['fails', 'learns', 'learns'])).toBe(true);
    expect(shouldStopAtVerdict(['learns', null, 'learns'])).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'icl-train-'));
    const args = [
      '--task',
      'sparse-linear-regression',
      '--models',
      'mamba',
      '--steps',
      '4',
      '--batch-size',
      '4',
    ];
    const code = await runTrain([
      ...args,
      ...[
        '--eval-prompts',
        '16',
        '--eval-every',
        '2',
        '--d',
        '4',
        '--n-points',
        '6',
        '--k',
        '2',
        '--out',
        dir,
      ],
      '--stop-at-verdict',
    ]);
    expect(code).toBe(0);
    const evals = parseEvalRecords(readFileSync(join(dir, 'mamba-evals.jsonl'), 'utf8'));
    expect(evals.map((e) => e.step)).toEqual([2, 4]);
    for (const e of evals) expect(['learns', 'partial', 'fails']).toContain(e.mark);
    const baselines = JSON.parse(readFileSync(join(dir, 'baselines.json'), 'utf8'));
    expect(baselines.curves.map((c: { key: string }) => c.key)).toEqual(['lasso:0.01', 'zero']);
  });

  it('--record writes a replay the page can read, and adds it to the index beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'icl-record-'));
    const file = join(dir, 'replays', 'lr.iclreplay');
    const code = await runTrain([
      '--task',
      'linear-regression',
      '--models',
      'transformer,mamba',
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
      '--out',
      join(dir, 'out'),
      '--record',
      file,
    ]);
    expect(code).toBe(0);
    const read = decodeReplay(readFileSync(file));
    if (!read.ok) throw new Error(read.error);
    const r = read.replay;
    expect(r.totalSteps).toBe(4);
    expect(r.models.map((m) => m.arch)).toEqual(['transformer', 'mamba']);
    // an evaluation and a probe at step 0, at every evaluation step and at the end
    expect(r.models[0].evaluations.map((e) => e.step)).toEqual([0, 2, 4]);
    expect(r.models[1].probes.map((p) => p.step)).toEqual([0, 2, 4]);
    expect(r.models[0].loss.x).toEqual([0, 1, 2, 3]);
    expect(r.models[0].loss.y.every(Number.isFinite)).toBe(true);
    expect(r.models[0].probes[2].result.layers.some((l) => l.kind === 'attention')).toBe(true);
    const mamba = r.models[1].probes[2].result.layers.find((l) => l.kind === 'mamba');
    expect(mamba?.kind === 'mamba' && mamba.implicitAttention?.length).toBe(8 * 8);
    expect(r.baselines?.curves.some((c) => c.key === 'least-squares')).toBe(true);
    const index = parseReplayIndex(JSON.parse(readFileSync(join(dir, 'replays', 'index.json'), 'utf8')));
    if (!index.ok) throw new Error(index.error);
    expect(index.index.replays).toMatchObject([
      { file: 'lr.iclreplay', task: 'linear-regression', models: ['transformer', 'mamba'], steps: 4 },
    ]);
    expect(await runTrain(['--task', 'linear-regression', '--record', join(dir, 'bad name?.gz')])).toBe(2);
    expect(err.join('\n')).toMatch(/--record needs a plain file name/);
  });

  it('--record keeps a playable recording of the steps reached while the run goes on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'icl-record-'));
    const file = join(dir, 'lr.iclreplay');
    // what the file holds when Mamba's step-2 evaluation is printed (a sweep stopping the run then
    // would leave exactly this)
    let midRun: ReturnType<typeof decodeReplay> | null = null;
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      if (midRun === null && /^Mamba.* step 2 /m.test(String(s))) midRun = decodeReplay(readFileSync(file));
      return true;
    });
    const args = ['--task', 'linear-regression', '--models', 'transformer,mamba', '--steps', '4'];
    const small = [
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
    ];
    const code = await runTrain([...args, ...small, '--out', join(dir, 'out'), '--record', file]);
    expect(code, err.join('\n')).toBe(0);
    const partial = midRun as ReturnType<typeof decodeReplay> | null;
    if (!partial?.ok) throw new Error(partial ? partial.error : 'no evaluation line for Mamba at step 2');
    const [tf0, mamba] = partial.replay.models;
    expect(partial.replay.models.map((m) => m.arch)).toEqual(['transformer', 'mamba']);
    expect(tf0.steps).toBe(4);
    expect(mamba.steps).toBe(2);
    expect(mamba.evaluations.map((e) => e.step)).toEqual([0, 2]);
    expect(mamba.loss.x).toEqual([0, 1]);
    const done = decodeReplay(readFileSync(file));
    if (!done.ok) throw new Error(done.error);
    expect(done.replay.models[1].steps).toBe(4);
    expect(done.replay.models[1].evaluations.map((e) => e.step)).toEqual([0, 2, 4]);
  });
});
