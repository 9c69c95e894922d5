import { strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { IclCurveSet } from '../../eval/types';
import { encodeReplay, type ReplayContent, type ReplayIndexEntry } from '../../formats/replay';
import { presetExperiment } from '../../train/presets';
import { baselinesRequestKey } from '../../workers/baselines/protocol';
import type { ProbeResult } from '../../workers/training/protocol';
import { createExperimentStore, defaultDraft } from '../stores/experiment-store';
import { baselinesRequestFor, createLabStore } from '../stores/lab-store';
import { createLiveStore, newModelLive } from '../stores/live-store';
import { type LiveOwner, LiveWriter } from '../stores/live-writer';
import {
  lastAtOrBefore,
  modelFrame,
  REPLAY_SLOT_BASE,
  ReplayPlayer,
  recordedBackend,
  recordedModelStatus,
  replayStatusText,
} from './replay-player';

const experiment = presetExperiment('classroom', 'sparse-parity', ['transformer', 'mamba'], 4, {
  steps: 100,
});

function curves(key: string, v: number): IclCurveSet {
  return {
    task: 'sparse-parity',
    head: 'y',
    metric: 'sign-accuracy',
    yLabel: 'accuracy',
    chance: 0.5,
    prompts: 16,
    seed: 4,
    curves: [
      {
        key,
        label: key,
        examples: Int32Array.of(0, 1),
        mean: Float64Array.of(v, v),
        lo: Float64Array.of(v, v),
        hi: Float64Array.of(v, v),
        count: Int32Array.of(16, 16),
      },
    ],
  };
}

const probe = (arch: 'transformer' | 'mamba', v: number): ProbeResult => ({
  arch,
  seqLen: 2,
  layers: [],
  outputs: [Float32Array.of(v, v)],
});

const content: ReplayContent = {
  experiment,
  backend: 'wasm',
  createdAt: '2025-01-01T00:00:00Z',
  totalSteps: 100,
  baselines: curves('greedy', 0.6),
  models: [
    {
      index: 0,
      arch: 'transformer',
      label: 'Transformer',
      parameters: 10,
      steps: 100,
      diverged: null,
      // buckets of 10 steps: [0, 10), [10, 20), ...
      loss: { width: 10, x: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90], y: [9, 8, 7, 6, 5, 4, 3, 2, 1, 0.5] },
      evaluations: [
        { step: 0, sets: [curves('model:0:transformer', 0.5)], recall: null },
        { step: 50, sets: [curves('model:0:transformer', 0.6)], recall: null },
        { step: 100, sets: [curves('model:0:transformer', 0.7)], recall: null },
      ],
      probes: [
        { step: 0, result: probe('transformer', 0) },
        { step: 50, result: probe('transformer', 50) },
        { step: 100, result: probe('transformer', 100) },
      ],
    },
    {
      index: 1,
      arch: 'mamba',
      label: 'Mamba',
      parameters: 10,
      steps: 60,
      diverged: 'the loss was NaN at step 60',
      loss: { width: 20, x: [0, 20, 40], y: [5, 4, 3] },
      evaluations: [{ step: 50, sets: [curves('model:1:mamba', 0.9)], recall: null }],
      probes: [{ step: 60, result: probe('mamba', 60) }],
    },
  ],
};

const entry: ReplayIndexEntry = {
  file: 'parity.iclreplay',
  task: 'sparse-parity',
  title: 'Sparse parity',
  models: ['transformer', 'mamba'],
  steps: 100,
  seed: 4,
  preset: 'classroom',
  backend: 'wasm',
  shows: 'Mamba learns parity',
  bytes: 1,
};

const INDEX = { format: 'icl-lab-replays', version: 1, replays: [entry] };

function setup(files: Record<string, Uint8Array> = {}) {
  const experimentStore = createExperimentStore(defaultDraft('sparse-parity'));
  const live = createLiveStore();
  const lab = createLabStore({
    client: { compute: () => new Promise(() => {}), cancel() {}, dispose() {} },
  });
  const fetched: string[] = [];
  const all: Record<string, Uint8Array> = {
    'r/index.json': strToU8(JSON.stringify(INDEX)),
    'r/parity.iclreplay': encodeReplay(content).bytes,
    ...files,
  };
  let tick: (() => void) | null = null;
  let stoodDown = 0;
  // the race holds the live store until the player claims it
  const writer = new LiveWriter(live);
  const race: LiveOwner = {
    name: 'race',
    release: async () => {
      stoodDown++;
    },
  };
  void writer.claim(race);
  const player = new ReplayPlayer({
    live,
    lab,
    experiment: experimentStore,
    writer,
    fetchBytes: async (url) => {
      fetched.push(url);
      const b = all[url];
      if (!b) throw new Error('the server answered 404 Not Found');
      return b;
    },
    baseUrl: 'r/',
    durationS: 1,
    tickMs: 100,
    setInterval: (fn) => {
      tick = fn;
      return 1 as unknown as ReturnType<typeof setInterval>;
    },
    clearInterval: () => {
      tick = null;
    },
  });
  const ticks = (n: number) => {
    for (let i = 0; i < n; i++) tick?.();
  };
  return {
    player,
    s: () => player.store.getState(),
    live,
    lab,
    experimentStore,
    fetched,
    ticks,
    ticking: () => tick !== null,
    stoodDown: () => stoodDown,
    writer,
    race,
  };
}

describe('replay frames', () => {
  it('finds the last step at or before a position', () => {
    expect(lastAtOrBefore([0, 50, 100], 49)).toBe(0);
    expect(lastAtOrBefore([0, 50, 100], 50)).toBe(1);
    expect(lastAtOrBefore([10, 50], 5)).toBe(-1);
    expect(lastAtOrBefore([], 5)).toBe(-1);
  });

  it('shows the loss buckets that ended, the latest evaluation and probe', () => {
    const m = content.models[0];
    const f = modelFrame(m, 35);
    expect(f.loss.x).toEqual([0, 10, 20]);
    expect(f.loss.end).toBe(30);
    expect(f.lastLoss).toBe(7);
    expect(f.evaluation).toBe(0);
    expect(f.probe).toBe(0);
    expect(modelFrame(m, 100).loss.x).toHaveLength(10);
    // a model that stopped early shows all its buckets after its last step
    expect(modelFrame(content.models[1], 70).loss.x).toEqual([0, 20, 40]);
    expect(modelFrame(content.models[1], 70).step).toBe(60);
  });
});

describe('the replay player', () => {
  it('plays a recorded run into the stores the live race feeds, at a fixed rate', async () => {
    const t = setup();
    await t.s().start();
    expect(t.fetched).toEqual(['r/index.json', 'r/parity.iclreplay']);
    expect(t.stoodDown()).toBe(1);
    expect(t.s().status).toBe('playing');
    expect(t.s().entry?.file).toBe('parity.iclreplay');
    // the replay's experiment, and its baselines without computing them
    const shown = t.experimentStore.getState().experiment!;
    expect(shown.seed).toBe(4);
    expect(shown.steps).toBe(100);
    const view = t.lab.getState().baselines[baselinesRequestKey(baselinesRequestFor(experiment))];
    expect(view?.status).toBe('done');
    let models = t.live.getState().models;
    expect(models.map((m) => m.slot)).toEqual([REPLAY_SLOT_BASE, REPLAY_SLOT_BASE + 1]);
    expect(models[0].backend?.name).toBe('wasm');
    expect(models[0].curvesStep).toBe(0);
    expect(models[1].curves).toBeNull();
    expect(t.live.getState().training).toBe(false);
    // 1 s for 100 steps, 100 ms a tick: 10 steps a tick
    t.ticks(5);
    expect(t.s().step).toBe(50);
    models = t.live.getState().models;
    expect(models[0].loss.x).toEqual([0, 10, 20, 30, 40]);
    expect(models[0].curvesStep).toBe(50);
    expect(models[0].probeStep).toBe(50);
    expect(models[1].curvesStep).toBe(50);
    expect(models[1].probe).toBeNull();
    const curvesAt50 = models[0].curves;
    t.ticks(1);
    // unchanged evaluations keep their objects (the charts do not redraw for nothing)
    expect(t.live.getState().models[0].curves).toBe(curvesAt50);
    expect(t.live.getState().models[1].state).toBe('diverged');
    t.ticks(10);
    expect(t.s().step).toBe(100);
    expect(t.s().status).toBe('paused');
    expect(t.ticking()).toBe(false);
    expect(t.live.getState().models[0].state).toBe('done');
    expect(t.live.getState().models[0].probeStep).toBe(100);
    t.player.dispose();
  });

  it('pauses, scrubs and plays on from where it was moved', async () => {
    const t = setup();
    await t.s().start('parity.iclreplay');
    t.ticks(3);
    t.s().pause();
    expect(t.s().status).toBe('paused');
    expect(t.ticking()).toBe(false);
    t.ticks(3);
    expect(t.s().step).toBe(30);
    t.s().seek(75);
    expect(t.s().step).toBe(75);
    expect(t.live.getState().models[0].curvesStep).toBe(50);
    t.s().seek(-5);
    expect(t.s().step).toBe(0);
    expect(t.live.getState().models[0].loss.x).toEqual([]);
    t.s().seek(90);
    t.s().play();
    t.ticks(1);
    expect(t.s().step).toBe(100);
    // play at the end starts again from the beginning
    t.s().play();
    expect(t.s().step).toBe(0);
    t.player.dispose();
  });

  it('ends when the race takes the live store over or the experiment is changed', async () => {
    const t = setup();
    await t.s().start();
    expect(t.writer.current).toBe('recording');
    await t.writer.claim(t.race);
    t.live.setState({ models: [newModelLive(1, 0, 'transformer', 'Transformer')] });
    expect(t.s().status).toBe('idle');
    expect(t.ticking()).toBe(false);
    expect(t.live.getState().models.map((m) => m.slot)).toEqual([1]);

    await t.s().start();
    expect(t.s().status).toBe('playing');
    t.experimentStore.getState().setSeed(99);
    expect(t.s().status).toBe('idle');
    expect(t.live.getState().models).toEqual([]);

    await t.s().start();
    t.s().stop();
    expect(t.s().status).toBe('idle');
    expect(t.live.getState().models).toEqual([]);
    t.player.dispose();
  });

  it('a missing, corrupt or unlisted replay gives a readable error and leaves the race alone', async () => {
    const corrupt = setup({ 'r/parity.iclreplay': strToU8('<html>oops</html>') });
    await corrupt.s().start();
    expect(corrupt.s().status).toBe('error');
    expect(corrupt.s().error).toMatch(/cannot be played: the file is neither gzip nor JSON/);
    expect(corrupt.stoodDown()).toBe(0);
    expect(corrupt.live.getState().models).toEqual([]);

    const missing = setup();
    await missing.s().start('other.iclreplay');
    expect(missing.s().error).toMatch(/"other.iclreplay" could not be loaded: the server answered 404/);

    const badName = setup();
    await badName.s().start('../secret');
    expect(badName.s().error).toMatch(/not the name of a recorded run/);
    expect(badName.fetched).toEqual([]);

    const noIndex = setup({ 'r/index.json': strToU8('{"format":"nope"}') });
    await noIndex.s().start();
    expect(noIndex.s().error).toMatch(/list of recorded runs is unreadable/);
    // a file named by a link plays without the list
    await noIndex.s().start('parity.iclreplay');
    expect(noIndex.s().status).toBe('playing');

    const empty = setup({ 'r/index.json': strToU8(JSON.stringify({ ...INDEX, replays: [] })) });
    await empty.s().start();
    expect([empty.s().status, empty.s().missing, empty.s().error]).toEqual(['idle', 'sparse-parity', null]);
    expect(empty.fetched).toEqual(['r/index.json']);
  });

  it('never plays another task’s recording: a task without one is named as missing', async () => {
    const t = setup();
    t.experimentStore.getState().setTask('linear-regression');
    await t.s().start();
    expect([t.s().status, t.s().missing, t.s().entry]).toEqual(['idle', 'linear-regression', null]);
    expect(t.fetched).toEqual(['r/index.json']);
    expect(t.live.getState().models).toEqual([]);
    expect(t.stoodDown()).toBe(0);
    // a task with a recording plays it, at the model asked for, and forgets the missing one
    await t.s().startTask('sparse-parity', 'mamba');
    expect([t.s().status, t.s().missing, t.s().focus, t.s().entry?.file]).toEqual([
      'playing',
      null,
      'mamba',
      'parity.iclreplay',
    ]);
    // asking for a task without one while a replay plays leaves the replay as it is
    await t.s().startTask('decision-tree', 'transformer');
    expect([t.s().status, t.s().missing, t.s().entry?.file]).toEqual([
      'playing',
      'decision-tree',
      'parity.iclreplay',
    ]);
    t.s().stop();
    await t.s().startTask('decision-tree');
    expect(t.s().missing).toBe('decision-tree');
    // choosing another task forgets the missing one (choosing no task keeps it)
    t.experimentStore.getState().setSeed(9);
    expect(t.s().missing).toBe('decision-tree');
    t.experimentStore.getState().setTask('token-mqar');
    expect(t.s().missing).toBeNull();
    t.player.dispose();
  });

  it('captions the replay from its recorded curves, not from the index', async () => {
    const t = setup();
    await t.s().start();
    // Mamba's last evaluation: 0.9 over the regime; Transformer's 0.7; chance 0.5 (sign accuracy)
    expect(t.s().caption).toBe(
      'Accuracy over 1 examples at the last evaluation (seed 4): Mamba 0.90 (learns), ' +
        'Transformer 0.70 (partly learns since step 50); chance 0.50, perfect 1.',
    );
    expect(t.s().caption).not.toContain(entry.shows);
    t.s().stop();
    expect(t.s().caption).toBeNull();
    t.player.dispose();
  });
});

describe('replayStatusText', () => {
  it('says where the replay is', () => {
    expect(replayStatusText({ status: 'playing', step: 12, totalSteps: 300 })).toBe(
      'Recorded run · step 12 / 300 · playing',
    );
    expect(replayStatusText({ status: 'paused', step: 300, totalSteps: 300 })).toMatch(/at the end$/);
    expect(replayStatusText({ status: 'paused', step: 3, totalSteps: 300 })).toMatch(/paused$/);
    expect(replayStatusText({ status: 'idle', step: 0, totalSteps: 0 })).toBe('');
  });
});

describe('recordedBackend', () => {
  it('reads the backend name of the recording', () => {
    expect(recordedBackend('webgpu (nvidia NVIDIA: 580; fused kernels)')?.name).toBe('webgpu');
    expect(recordedBackend('wasm')?.summary).toBe('wasm (recorded run)');
    expect(recordedBackend('tpu')).toBeNull();
  });
});

describe('recording mode', () => {
  it('Stop watching puts back the task, models and seed of before, and says so', async () => {
    const t = setup();
    const s0 = t.experimentStore.getState();
    s0.setTask('linear-regression');
    s0.toggleArch('mambaformer', false);
    s0.setSeed(9);
    const before = t.experimentStore.getState().draft;
    await t.s().start('parity.iclreplay');
    expect(t.s().status).toBe('playing');
    // the recording's experiment is shown, with a notice of the seed it changed
    expect(t.experimentStore.getState().draft).toMatchObject({ task: 'sparse-parity', seed: 4 });
    expect(t.s().seedNotice).toBe(
      'The recorded run uses seed 4; the page had seed 9. Stop watching puts seed 9 back.',
    );
    t.s().stop();
    expect(t.s().status).toBe('idle');
    expect(t.live.getState().models).toHaveLength(0);
    expect(t.experimentStore.getState().draft).toEqual(before);
    expect(t.experimentStore.getState().draft.archs).toEqual(before.archs);
    expect(t.s().seedNotice).toBe('Back to seed 9 (the recorded run had seed 4).');
  });

  it('a change of experiment while watching is the user choosing: nothing is put back', async () => {
    const t = setup();
    t.experimentStore.getState().setSeed(9);
    await t.s().start('parity.iclreplay');
    t.experimentStore.getState().setTask('linear-regression');
    expect(t.s().status).toBe('idle');
    t.s().stop();
    expect(t.experimentStore.getState().draft).toMatchObject({ task: 'linear-regression', seed: 4 });
  });

  it('names the recorded state in the model status lines', () => {
    const line = recordedModelStatus({
      arch: 'mamba',
      label: 'Mamba',
      step: 120,
      totalSteps: 300,
      backend: recordedBackend('webgpu (x)'),
      state: 'paused',
    });
    expect(line).toBe('Mamba: step 120 / 300 · webgpu · recorded');
    expect(line).not.toMatch(/paused/);
  });
});
