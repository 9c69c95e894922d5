import { afterEach, describe, expect, it } from 'vitest';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Experiment } from '../../schema/experiment';
import { tinyExperiment } from '../../train/test-experiments';
import type { CheckpointProbeClient } from '../../workers/checkpoint-probe/client';
import type { CheckpointProbeRequest } from '../../workers/checkpoint-probe/protocol';
import type { ProbePrompt, ProbeResult } from '../../workers/training/protocol';
import type { CheckpointNotice } from '../race/slots';
import type { ExperimentState } from '../stores/experiment-store';
import { createLiveStore, newModelLive, patchModel } from '../stores/live-store';
import { flipBit, type ParityDraft, queryPosition } from './probe-editor';
import {
  ProbeLab,
  type ProbeRace,
  predictionRows,
  scrubPosition,
  shownProbe,
  stepAtPosition,
} from './probe-lab';

const wait = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Wait until `cond` holds (timers run late on a loaded machine), at most `ms`. */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await wait(2);
  }
}

/** A read-out that depends on the tokens: token t's first feature + a per-source offset. */
function fakeResult(prompt: ProbePrompt, offset: number): ProbeResult {
  const out = new Float32Array(prompt.seqLen);
  for (let t = 0; t < prompt.seqLen; t++) out[t] = prompt.tokens[t * prompt.tokenDim] + offset;
  return { arch: 'transformer', seqLen: prompt.seqLen, layers: [], outputs: [out] };
}

class FakeRace implements ProbeRace {
  listeners = new Set<(c: CheckpointNotice) => void>();
  raceExperiment: Experiment | null;
  targets = [
    { slot: 1, index: 0, modelKey: 'transformer-a' },
    { slot: 2, index: 1, modelKey: 'mamba-b' },
  ];
  calls: Array<{ slot: number; prompt: ProbePrompt }> = [];
  step = 7;
  constructor(e: Experiment) {
    this.raceExperiment = e;
  }
  onCheckpoint(l: (c: CheckpointNotice) => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  probeTargets() {
    return this.targets;
  }
  async probeModel(slot: number, prompt: ProbePrompt) {
    this.calls.push({ slot, prompt });
    await wait();
    return { ok: true as const, result: fakeResult(prompt, slot * 100 + this.step), step: this.step };
  }
  checkpoint(slot: number, step: number) {
    const t = this.targets.find((x) => x.slot === slot)!;
    for (const l of this.listeners) l({ ...t, step, model: Uint8Array.of(step) });
  }
}

class FakeReplay implements CheckpointProbeClient {
  configured: Experiment[] = [];
  requests: CheckpointProbeRequest[] = [];
  stopped = false;
  async configure(e: Experiment) {
    this.configured.push(e);
    return {
      ok: true as const,
      backend: { name: 'cpu' as const, attempts: [], fallback: false, detail: '', summary: 'cpu' },
    };
  }
  async probe(r: CheckpointProbeRequest) {
    this.requests.push(r);
    await wait();
    const step = r.model[0];
    return { ok: true as const, step, result: fakeResult(r.prompt!, 1000 + step) };
  }
  async dispose() {
    this.stopped = true;
  }
}

const labs: ProbeLab[] = [];
afterEach(() => {
  for (const l of labs.splice(0)) l.dispose();
});

function setup() {
  const e = tinyExperiment(['transformer', 'mamba'], {}, 'sparse-parity', { d: 4, nPoints: 6, k: 2 });
  const experiment = createStore(() => ({ experiment: e })) as unknown as StoreApi<ExperimentState>;
  const live = createLiveStore();
  live.setState({
    runId: 'run-1',
    models: [newModelLive(1, 0, 'transformer', 'Transformer'), newModelLive(2, 1, 'mamba', 'Mamba')],
  });
  const race = new FakeRace(e);
  const replays: FakeReplay[] = [];
  const lab = new ProbeLab({
    experiment,
    live,
    race,
    debounceMs: 5,
    spawnReplay: () => {
      const r = new FakeReplay();
      replays.push(r);
      return r;
    },
  });
  labs.push(lab);
  return { e, experiment, live, race, replays, lab, store: lab.store };
}

const flipQueryBit = (d: ParityDraft) => flipBit(d, d.query, 0);

describe('ProbeLab: the edited prompt on live weights', () => {
  it('starts on the seeded prompt, showing the live probes', () => {
    const { store, live } = setup();
    const s = store.getState();
    expect(s.draft?.kind).toBe('parity');
    expect(s.edited).toBe(false);
    const m = live.getState().models[0];
    expect(shownProbe(s, m).source).toBe('live');
  });

  it('an edit probes every model once after the quiet time, and the rows read the new answers', async () => {
    const { store, race, live } = setup();
    store.getState().edit((d) => flipQueryBit(d as ParityDraft));
    store.getState().edit((d) => flipBit(d as ParityDraft, 0, 1));
    expect(race.calls).toHaveLength(0);
    await until(() => Object.keys(store.getState().edits).length === 2);
    expect(race.calls.map((c) => c.slot)).toEqual([1, 2]);
    const s = store.getState();
    expect(s.edited).toBe(true);
    expect(Array.from(race.calls[0].prompt.tokens)).toEqual(Array.from(s.draft!.tokens));
    const rows = predictionRows(s, live.getState().models);
    expect(rows.map((r) => r.source)).toEqual(['edited', 'edited']);
    expect(rows[0].step).toBe(7);
    // the fake read-out at the query is the query's first bit + 107 (a positive logit)
    const d = s.draft as ParityDraft;
    expect(rows[0].reading?.prediction).toContain((d.bits[d.query * d.dim] + 107).toFixed(3));
    expect(queryPosition(d)).toBe(2 * d.query);
  });

  it('flipping back to the seeded prompt shows the live probes again; reset restores the seed', async () => {
    const { store, race } = setup();
    store.getState().edit((d) => flipQueryBit(d as ParityDraft));
    store.getState().edit((d) => flipQueryBit(d as ParityDraft));
    await wait(30);
    expect(store.getState().edited).toBe(false);
    expect(race.calls).toHaveLength(0);
    store.getState().edit((d) => flipQueryBit(d as ParityDraft));
    await wait(30);
    expect(store.getState().edited).toBe(true);
    store.getState().resetProbe();
    const s = store.getState();
    expect(s.edited).toBe(false);
    expect(s.draft).toBe(s.seeded);
    expect(s.edits).toEqual({});
  });

  it('waits for the workers to be on the experiment of the prompt', async () => {
    const { store, race } = setup();
    race.raceExperiment = tinyExperiment(['transformer', 'mamba'], {}, 'sparse-parity', {
      d: 4,
      nPoints: 8,
      k: 2,
    });
    store.getState().edit((d) => flipQueryBit(d as ParityDraft));
    await wait(30);
    expect(race.calls).toHaveLength(0);
    race.raceExperiment = tinyExperiment(['transformer', 'mamba'], {}, 'sparse-parity', {
      d: 4,
      nPoints: 6,
      k: 2,
    });
    await until(() => race.calls.length === 2);
    expect(race.calls.map((c) => c.slot)).toEqual([1, 2]);
  });

  it('while edited, each new live probe of a model is followed by a probe of the edited prompt', async () => {
    const { store, race, live } = setup();
    patchModel(live, 1, { probeStep: 1 });
    patchModel(live, 2, { probeStep: 1 });
    store.getState().edit((d) => flipQueryBit(d as ParityDraft));
    await until(() => Object.keys(store.getState().edits).length === 2);
    race.calls = [];
    race.step = 9;
    patchModel(live, 2, { probeStep: 9 });
    expect(race.calls.map((c) => c.slot)).toEqual([2]);
    await until(() => store.getState().edits[2].step === 9);
    expect(store.getState().edits[1].step).toBe(7);
  });
});

describe('ProbeLab: replaying checkpoints', () => {
  it('collects the steps of the checkpoints and replays the nearest one of each model', async () => {
    const { store, race, replays, live, lab } = setup();
    race.checkpoint(1, 1);
    race.checkpoint(2, 1);
    race.checkpoint(1, 2);
    race.checkpoint(2, 3);
    expect(store.getState().checkpointSteps).toEqual([1, 2, 3]);
    store.getState().setReplayStep(2);
    await lab.settled();
    expect(replays).toHaveLength(1);
    const r = replays[0];
    expect(r.configured).toHaveLength(1);
    expect(r.requests.map((q) => [q.modelIndex, q.model[0]])).toEqual([
      [0, 2],
      [1, 1],
    ]);
    const s = store.getState();
    expect(s.replayStatus).toBe('ready');
    const rows = predictionRows(s, live.getState().models);
    expect(rows.map((x) => [x.source, x.step])).toEqual([
      ['replay', 2],
      ['replay', 1],
    ]);
    // an edit while replaying replays again with the edited prompt, no training worker asked
    store.getState().edit((d) => flipQueryBit(d as ParityDraft));
    await until(() => r.requests.length === 4);
    await lab.settled();
    expect(race.calls).toHaveLength(0);
    expect(r.requests).toHaveLength(4);
    expect(Array.from(r.requests[3].prompt!.tokens)).toEqual(Array.from(store.getState().draft!.tokens));
    // back to live: the checkpoint-probe worker is stopped, the edited prompt is probed on the live weights
    store.getState().setReplayStep(null);
    expect(r.stopped).toBe(true);
    await until(() => Object.keys(store.getState().edits).length === 2);
    expect(race.calls.map((c) => c.slot)).toEqual([1, 2]);
    expect(shownProbe(store.getState(), live.getState().models[0]).source).toBe('edited');
  });

  it('a reset model forgets its checkpoints; a new run forgets all', async () => {
    const { store, race, live } = setup();
    // as the race controller does: the checkpoint, then the live store's checkpointStep
    race.checkpoint(1, 5);
    patchModel(live, 1, { checkpointStep: 5 });
    race.checkpoint(2, 6);
    patchModel(live, 2, { checkpointStep: 6 });
    expect(store.getState().checkpointSteps).toEqual([5, 6]);
    patchModel(live, 1, { checkpointStep: null });
    expect(store.getState().checkpointSteps).toEqual([6]);
    live.setState({ runId: 'run-2' });
    expect(store.getState().checkpointSteps).toEqual([]);
  });

  it('says so when nothing has trained', async () => {
    const { store, race } = setup();
    race.raceExperiment = null;
    store.getState().setReplayStep(3);
    await until(() => store.getState().replayStatus === 'error');
    expect(store.getState().replayStatus).toBe('error');
    expect(store.getState().replayError).toContain('no model has trained');
  });
});

describe('the scrubber', () => {
  it('maps positions to steps, the last position to live', () => {
    const steps = [1, 2, 250];
    expect(scrubPosition(steps, null)).toBe(3);
    expect(scrubPosition(steps, 2)).toBe(1);
    expect(scrubPosition(steps, 100)).toBe(1);
    expect(scrubPosition([], 5)).toBe(0);
    expect(stepAtPosition(steps, 0)).toBe(1);
    expect(stepAtPosition(steps, 2)).toBe(250);
    expect(stepAtPosition(steps, 3)).toBeNull();
    expect(stepAtPosition(steps, -1)).toBeNull();
  });
});
