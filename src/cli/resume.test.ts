import { appendFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeReplay, type Replay } from '../formats/replay';
import { parseEvalRecords } from '../formats/table1';
import { readSafetensors } from '../train/safetensors';
import { parseTrainArgs, runTrain } from './train';

const RUN = [
  '--task',
  'linear-regression',
  '--models',
  'transformer,mamba',
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
  '3',
  '--no-baselines',
];

function weights(dir: string, stem: string): Map<string, number[]> {
  const file = readSafetensors(readFileSync(join(dir, `${stem}.safetensors`)));
  return new Map([...file.tensors].map(([k, t]) => [k, Array.from(t.data as Float32Array)]));
}

/** The replay a run recorded into <dir>/rec/lr.iclreplay. */
function replayOf(dir: string): Replay {
  const read = decodeReplay(new Uint8Array(readFileSync(join(dir, 'rec', 'lr.iclreplay'))));
  if (!read.ok) throw new Error(read.error);
  return read.replay;
}

const lossRows = (dir: string, stem: string) => readFileSync(join(dir, `${stem}-loss.csv`), 'utf8');
const evalSteps = (dir: string, stem: string) =>
  parseEvalRecords(readFileSync(join(dir, `${stem}-evals.jsonl`), 'utf8')).map((e) => e.step);

describe('cli train --checkpoint-every / --resume', () => {
  let err: string[];
  beforeEach(() => {
    err = [];
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      err.push(String(s));
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  it('a run cut in two and resumed ends exactly where the uninterrupted run does', async () => {
    const whole = mkdtempSync(join(tmpdir(), 'icl-whole-'));
    expect(await runTrain([...RUN, '--steps', '6', '--out', whole])).toBe(0);

    const cut = mkdtempSync(join(tmpdir(), 'icl-cut-'));
    expect(await runTrain([...RUN, '--steps', '4', '--checkpoint-every', '2', '--out', cut])).toBe(0);
    expect(await runTrain([...RUN, '--steps', '6', '--resume', '--out', cut])).toBe(0);
    expect(err.join('')).toMatch(/resumed at step 4/);
    for (const stem of ['transformer', 'mamba']) {
      expect(lossRows(cut, stem)).toBe(lossRows(whole, stem));
      expect(weights(cut, stem)).toEqual(weights(whole, stem));
      expect(evalSteps(cut, stem)).toEqual([2, 4, 6]);
    }
    const summary = JSON.parse(readFileSync(join(cut, 'summary.json'), 'utf8'));
    expect(summary.models.map((m: { resumedAt: number }) => m.resumedAt)).toEqual([4, 4]);
  });

  it('a checkpoint written mid-run is what a killed run resumes from; later evaluations are dropped', async () => {
    const whole = mkdtempSync(join(tmpdir(), 'icl-whole-'));
    expect(await runTrain([...RUN, '--models', 'mamba', '--steps', '6', '--out', whole])).toBe(0);
    // a run with a checkpoint at step 2 that was killed after logging its evaluation at step 4
    const killed = mkdtempSync(join(tmpdir(), 'icl-killed-'));
    expect(await runTrain([...RUN, '--models', 'mamba', '--steps', '2', '--out', killed])).toBe(0);
    const late = readFileSync(join(whole, 'mamba-evals.jsonl'), 'utf8').split('\n')[1];
    appendFileSync(join(killed, 'mamba-evals.jsonl'), `${late}\n{"step": 6, "hea`);
    appendFileSync(join(killed, 'mamba-loss.csv'), '2,0.5,1\n3,0.4,1\n4,0.');
    expect(await runTrain([...RUN, '--models', 'mamba', '--steps', '6', '--resume', '--out', killed])).toBe(
      0,
    );
    expect(evalSteps(killed, 'mamba')).toEqual([2, 4, 6]);
    expect(lossRows(killed, 'mamba')).toBe(lossRows(whole, 'mamba'));
    expect(weights(killed, 'mamba')).toEqual(weights(whole, 'mamba'));
  });

  it('writes the checkpoint every N steps while training', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'icl-every-'));
    // the checkpoint on disk when training ends (before the closing files): the one written mid-run
    let atEnd: string | null = null;
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      const text = String(s);
      if (/: 6 steps in /.test(text) && atEnd === null) {
        atEnd = readSafetensors(readFileSync(join(dir, 'transformer.safetensors'))).metadata.step ?? 'none';
      }
      err.push(text);
      return true;
    });
    const args = [...RUN, '--models', 'transformer', '--steps', '6', '--out', dir];
    expect(await runTrain([...args, '--checkpoint-every', '4'])).toBe(0);
    expect(atEnd).toBe('4');
    expect(Number(readSafetensors(readFileSync(join(dir, 'transformer.safetensors'))).metadata.step)).toBe(6);
    // resuming a finished run trains nothing and keeps its results
    expect(await runTrain([...args, '--resume'])).toBe(0);
    expect(err.join('')).toMatch(/resumed at step 6/);
    expect(evalSteps(dir, 'transformer')).toEqual([2, 4, 6]);
  });

  it('refuses to resume under other settings or from a broken file, and changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'icl-refuse-'));
    expect(await runTrain([...RUN, '--models', 'mamba', '--steps', '2', '--out', dir])).toBe(0);
    const before = readFileSync(join(dir, 'mamba.safetensors'));
    const evals = readFileSync(join(dir, 'mamba-evals.jsonl'), 'utf8');
    expect(
      await runTrain([...RUN, '--models', 'mamba', '--steps', '4', '--lr', '0.01', '--resume', '--out', dir]),
    ).toBe(2);
    expect(err.join('')).toMatch(/other settings than this command's/);
    expect(readFileSync(join(dir, 'mamba.safetensors'))).toEqual(before);
    expect(readFileSync(join(dir, 'mamba-evals.jsonl'), 'utf8')).toBe(evals);

    const broken = mkdtempSync(join(tmpdir(), 'icl-broken-'));
    cpSync(dir, broken, { recursive: true });
    writeFileSync(join(broken, 'mamba.safetensors'), before.subarray(0, 100));
    err.length = 0;
    expect(await runTrain([...RUN, '--models', 'mamba', '--steps', '4', '--resume', '--out', broken])).toBe(
      2,
    );
    expect(err.join('')).toMatch(/cannot resume from .*mamba\.safetensors/);
    expect(readFileSync(join(broken, 'mamba-evals.jsonl'), 'utf8')).toBe(evals);
  });

  it('a recorded run cut in two and resumed records exactly what the uninterrupted run records', async () => {
    const recorded = (dir: string) => ['--record', join(dir, 'rec', 'lr.iclreplay'), '--out', dir];
    const whole = mkdtempSync(join(tmpdir(), 'icl-rec-whole-'));
    expect(await runTrain([...RUN, '--steps', '6', ...recorded(whole)])).toBe(0);
    const cut = mkdtempSync(join(tmpdir(), 'icl-rec-cut-'));
    expect(await runTrain([...RUN, '--steps', '4', '--checkpoint-every', '2', ...recorded(cut)])).toBe(0);
    // the second part goes on from the first's recording (evaluations at 0, 2, 4), adding none twice
    expect(await runTrain([...RUN, '--steps', '6', '--resume', ...recorded(cut)])).toBe(0);
    expect(err.join('')).toMatch(/resumed at step 4 .*\(its recording: 3 evaluations so far\)/);
    const a = replayOf(whole);
    const b = replayOf(cut);
    expect(b.models.map((m) => m.evaluations.map((e) => e.step))).toEqual([
      [0, 2, 4, 6],
      [0, 2, 4, 6],
    ]);
    expect(b.models.map((m) => m.probes.map((p) => p.step))).toEqual(
      a.models.map((m) => m.probes.map((p) => p.step)),
    );
    expect({ ...b, createdAt: '' }).toEqual({ ...a, createdAt: '' });
  });

  it('resumes a recording only from a checkpoint that has one, and only --record with one', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'icl-rec-plain-'));
    expect(
      await runTrain([
        ...RUN,
        '--models',
        'mamba',
        '--steps',
        '4',
        '--checkpoint-every',
        '2',
        '--out',
        plain,
      ]),
    ).toBe(0);
    const evals = readFileSync(join(plain, 'mamba-evals.jsonl'), 'utf8');
    const record = ['--record', join(plain, 'rec', 'lr.iclreplay')];
    expect(
      await runTrain([...RUN, '--models', 'mamba', '--steps', '6', '--resume', ...record, '--out', plain]),
    ).toBe(2);
    expect(err.join('')).toMatch(/cannot resume the recording: .*mamba\.recording\.iclreplay is missing/);
    expect(readFileSync(join(plain, 'mamba-evals.jsonl'), 'utf8')).toBe(evals);
    // a recording of other settings is refused too
    const other = mkdtempSync(join(tmpdir(), 'icl-rec-other-'));
    const otherRecord = ['--record', join(other, 'rec', 'lr.iclreplay'), '--out', other];
    expect(await runTrain([...RUN, '--models', 'mamba', '--steps', '2', '--seed', '4', ...otherRecord])).toBe(
      0,
    );
    cpSync(join(other, 'mamba.recording.iclreplay'), join(plain, 'mamba.recording.iclreplay'));
    expect(
      await runTrain([...RUN, '--models', 'mamba', '--steps', '6', '--resume', ...record, '--out', plain]),
    ).toBe(2);
    expect(err.join('')).toMatch(/cannot resume the recording: .* other settings/);
    const command = parseTrainArgs(['--task', 'linear-regression', '--checkpoint-every', '500', '--resume']);
    expect(command !== 'help' && [command.checkpointEvery, command.resume]).toEqual([500, true]);
    expect(() => parseTrainArgs(['--task', 'linear-regression', '--checkpoint-every', '0'])).toThrow();
  });
});
