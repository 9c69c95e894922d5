import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tinyExperiment } from '../../train/test-experiments';
import type { BackendReport } from '../backend';
import { MAX_HOLD_MS } from '../page-hold';
import {
  type CurvesEvent,
  type DivergedEvent,
  eventTransferables,
  type MetricsEvent,
  type ProbeEvent,
  type StatusEvent,
  type TrainingEvent,
} from './protocol';
import { TrainingSession } from './session';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CPU: BackendReport = {
  name: 'cpu',
  attempts: [{ name: 'cpu', ok: true }],
  fallback: false,
  detail: '',
  summary: 'cpu',
};

interface Harness {
  session: TrainingSession;
  events: TrainingEvent[];
  transfers: Transferable[][];
  of<T extends TrainingEvent['type']>(type: T): Extract<TrainingEvent, { type: T }>[];
}

const open: TrainingSession[] = [];

/** A clock that only moves when the session sleeps (and `sleeps` records every wait asked for). */
interface FakeClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  sleeps: number[];
}

function fakeClock(): FakeClock {
  let t = 1000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: (ms) => {
      sleeps.push(ms);
      t += ms;
      return new Promise((r) => setTimeout(r, 0));
    },
  };
}

function harness(clock?: FakeClock): Harness {
  const events: TrainingEvent[] = [];
  const transfers: Transferable[][] = [];
  const session = new TrainingSession({
    pickBackend: async () => CPU,
    transfer: (value, list) => {
      transfers.push(list);
      return value;
    },
    now: clock ? clock.now : () => performance.now(),
    sleep: clock?.sleep,
    yieldToEvents: () => new Promise((r) => setTimeout(r, 0)),
  });
  open.push(session);
  return {
    session,
    events,
    transfers,
    of: (type) => events.filter((e) => e.type === type) as never,
  };
}

/** Options that make every readback, eval and probe happen at predictable steps. */
const OPTIONS = { metricsIntervalMs: 20, probeIntervalMs: 0, readEvery: 2, checkpointEverySteps: 4 };

async function configured(
  e = tinyExperiment(['transformer', 'mamba']),
  index = 0,
  options: object = OPTIONS,
  clock?: FakeClock,
) {
  const h = harness(clock);
  const r = await h.session.configure(e, index, options, (ev) => h.events.push(ev));
  expect(r.ok, JSON.stringify(r)).toBe(true);
  return h;
}

const lastStatus = (h: Harness) => h.of('status').at(-1) as StatusEvent;
const lossesOf = (h: Harness) => h.of('metrics').flatMap((m: MetricsEvent) => [...m.losses]);
const stepsOf = (h: Harness) => h.of('metrics').flatMap((m: MetricsEvent) => [...m.steps]);

afterEach(async () => {
  for (const s of open.splice(0)) await s.dispose();
});

describe('TrainingSession: the fair race', () => {
  it('gives two models of one experiment identical training batches and evaluation prompts', async () => {
    const e = tinyExperiment(['transformer', 'mamba']);
    const a = await configured(e, 0);
    const b = await configured(e, 1);
    const ta = a.session.currentTrainer!;
    const tb = b.session.currentTrainer!;
    expect(tb.modelSpec.arch).toBe('mamba');
    for (const step of [0, 1, 7, 30]) {
      const ba = ta.batchAt(step);
      const bb = tb.batchAt(step);
      expect(bb.tokens).toEqual(ba.tokens);
      expect(bb.heads.map((h) => [...h.targets])).toEqual(ba.heads.map((h) => [...h.targets]));
    }
    // the batch depends on the step and the seed, not on which worker asks
    expect(ta.batchAt(1).tokens).not.toEqual(ta.batchAt(2).tokens);
    const c = await configured(tinyExperiment(['transformer', 'mamba'], { seed: 4 }), 0);
    expect(c.session.currentTrainer!.batchAt(1).tokens).not.toEqual(ta.batchAt(1).tokens);
    // the same evaluation prompts: both curves are scored on the same prompts (same counts per x)
    await a.session.step(1);
    await b.session.step(1);
    const ca = a.of('curves').at(-1) as CurvesEvent;
    const cb = b.of('curves').at(-1) as CurvesEvent;
    expect(ca.sets[0].prompts).toBe(cb.sets[0].prompts);
    expect([...ca.sets[0].curves[0].count]).toEqual([...cb.sets[0].curves[0].count]);
    expect(ca.sets[0].curves[0].key).toBe('model:0:transformer');
    expect(cb.sets[0].curves[0].key).toBe('model:1:mamba');
  });
});

describe('TrainingSession: commands', () => {
  it('answers bad commands with errors, never throws', async () => {
    const h = harness();
    expect(await h.session.train()).toMatchObject({ ok: false });
    expect(await h.session.configure({ version: 1, task: { name: 'nope' } }, 0)).toMatchObject({ ok: false });
    expect(await h.session.configure(tinyExperiment(), 3)).toMatchObject({ ok: false, error: /model index/ });
    expect(await h.session.configure(tinyExperiment(), 0, { readEvery: 0 })).toMatchObject({ ok: false });
    expect(await h.session.configure(tinyExperiment(), 0, { bogus: 1 })).toMatchObject({ ok: false });
    const ok = await h.session.configure(tinyExperiment(), 0);
    expect(ok).toMatchObject({ ok: true, kept: false, step: 0, arch: 'transformer' });
    expect(await h.session.setLearningRate(Number.NaN)).toMatchObject({ ok: false });
    expect(await h.session.setLearningRate(5)).toMatchObject({ ok: false });
    expect(await h.session.step(0)).toMatchObject({ ok: false });
    expect(await h.session.loadCheckpoint({ model: new Uint8Array([1, 2, 3]) })).toMatchObject({ ok: false });
    expect(await h.session.probe({ tokens: new Float32Array(3), seqLen: 2, tokenDim: 2 })).toMatchObject({
      ok: false,
    });
  });

  it('steps exactly n steps, streaming losses, curves and a probe, all as transferables', async () => {
    const h = await configured();
    const r = await h.session.step(3);
    expect(r).toMatchObject({ ok: true, step: 3, state: 'paused' });
    expect(stepsOf(h)).toEqual([0, 1, 2]);
    expect(lossesOf(h).every(Number.isFinite)).toBe(true);
    expect(lastStatus(h)).toMatchObject({ state: 'paused', step: 3, backend: { name: 'cpu' } });
    const curves = h.of('curves').at(-1) as CurvesEvent;
    expect(curves.step).toBe(3);
    expect(curves.sets[0].curves[0].mean.length).toBeGreaterThan(0);
    const probe = h.of('probe').at(-1) as ProbeEvent;
    expect(probe.step).toBe(3);
    expect(probe.result.layers.some((l) => l.kind === 'attention')).toBe(true);
    // every typed array of every event went through transfer
    const metrics = h.of('metrics')[0];
    // the page's watchdog learns how long a step blocks the worker (real clock here: more than 0)
    expect(metrics.slowestStepMs).toBeGreaterThan(0);
    expect(eventTransferables(metrics)).toHaveLength(3);
    expect(h.transfers.some((t) => t.length === 3 && t.includes(metrics.losses.buffer as ArrayBuffer))).toBe(
      true,
    );
  });

  it('pauses within one step and resumes where it stopped', async () => {
    const h = await configured(tinyExperiment(['transformer'], { steps: 100_000 }));
    expect(await h.session.train()).toMatchObject({ ok: true, state: 'training' });
    await waitFor(() => (h.session.currentTrainer?.stepCount ?? 0) >= 6);
    const before = h.session.currentTrainer!.stepCount;
    const paused = await h.session.pause();
    expect(paused.ok && paused.step).toBeLessThanOrEqual(before + 1);
    expect(paused).toMatchObject({ state: 'paused' });
    const at = (paused as { step: number }).step;
    await new Promise((r) => setTimeout(r, 100));
    expect(h.session.currentTrainer!.stepCount).toBe(at);
    // every step up to the pause was posted, in order, once
    expect(stepsOf(h)).toEqual(Array.from({ length: at }, (_, i) => i));
    await h.session.resume();
    await waitFor(() => h.session.currentTrainer!.stepCount >= at + 3);
    await h.session.pause();
    const steps = stepsOf(h);
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i));
  });

  it('applies a new learning rate at the next step', async () => {
    const h = await configured();
    await h.session.step(2);
    expect(await h.session.setLearningRate(3e-4)).toMatchObject({ ok: true, lr: 3e-4 });
    expect(lastStatus(h).lr).toBe(3e-4);
    await h.session.step(1);
    expect((h.of('metrics').at(-1) as MetricsEvent).lr).toBe(3e-4);
    expect(h.session.currentTrainer!.optimizer.learningRate).toBe(3e-4);
  });

  it('keeps a least time between steps: slow motion on a fake clock', async () => {
    const clock = fakeClock();
    const h = await configured(tinyExperiment(['transformer']), 0, OPTIONS, clock);
    expect(await h.session.setStepInterval(-1)).toMatchObject({ ok: false });
    expect(await h.session.setStepInterval(Number.NaN)).toMatchObject({ ok: false });
    expect(await h.session.setStepInterval(10 * 60_000)).toMatchObject({ ok: false });
    expect(await h.session.setStepInterval(2000)).toEqual({ ok: true, ms: 2000 });
    await h.session.step(4);
    // steps take no fake time: three waits of the whole interval between four steps
    expect(clock.sleeps).toEqual([2000, 2000, 2000]);
    expect(stepsOf(h)).toEqual([0, 1, 2, 3]);
    // the pace is measured on that clock: half a step per second
    expect((h.of('metrics').at(-1) as MetricsEvent).stepsPerSecond).toBeCloseTo(0.5, 5);
    // the waits between steps are not step time (the worker answers heartbeats while it waits)
    expect(h.of('metrics').map((m: MetricsEvent) => m.slowestStepMs)).toEqual([0, 0, 0, 0]);
    // kept across a kept reconfiguration and a reset; full speed again with 0
    const again = await h.session.configure(tinyExperiment(['transformer'], { steps: 50 }), 0, OPTIONS);
    expect(again).toMatchObject({ ok: true, kept: true });
    await h.session.reset();
    clock.sleeps.length = 0;
    await h.session.step(3);
    expect(clock.sleeps).toEqual([2000, 2000]);
    await h.session.setStepInterval(0);
    clock.sleeps.length = 0;
    await h.session.step(5);
    expect(clock.sleeps).toEqual([]);
  });

  it('pauses within one step in slow motion and applies a new pace at the next step', async () => {
    const h = await configured(tinyExperiment(['transformer'], { steps: 100_000 }));
    await h.session.setStepInterval(60_000);
    await h.session.train();
    await waitFor(() => stepsOf(h).length >= 1);
    // one step, then a minute's wait that a pause ends at once
    const started = performance.now();
    const paused = await h.session.pause();
    expect(performance.now() - started).toBeLessThan(5000);
    expect(paused).toMatchObject({ ok: true, state: 'paused', step: 1 });
    // a paced step's loss is posted at once, not after the wait for the next step
    await h.session.train();
    await waitFor(() => stepsOf(h).length >= 2);
    expect(h.session.currentTrainer!.stepCount).toBe(2);
    // full speed while training: the wait in progress ends and steps follow
    await h.session.setStepInterval(0);
    await waitFor(() => h.session.currentTrainer!.stepCount >= 8);
    // and back to a minute: at most one more step
    await h.session.setStepInterval(60_000);
    const at = h.session.currentTrainer!.stepCount;
    await new Promise((r) => setTimeout(r, 300));
    expect(h.session.currentTrainer!.stepCount).toBeLessThanOrEqual(at + 1);
    await h.session.pause();
  });

  it('waits between steps while the page holds it, at most MAX_HOLD_MS', async () => {
    const clock = fakeClock();
    const h = await configured(tinyExperiment(['transformer']), 0, OPTIONS, clock);
    // a hold of 40 ms: the next step waits for it, the one after does not
    h.session.hold(40);
    await h.session.step(2);
    expect(clock.sleeps).toEqual([40]);
    expect(h.session.currentTrainer!.stepCount).toBe(2);
    // a hold of a minute is cut to the longest hold
    clock.sleeps.length = 0;
    h.session.hold(60_000);
    await h.session.step(1);
    expect(clock.sleeps).toEqual([MAX_HOLD_MS]);
    // a shorter hold during a longer one keeps the longer one; a release ends both
    clock.sleeps.length = 0;
    h.session.hold(45);
    h.session.hold(20);
    await h.session.step(1);
    expect(clock.sleeps).toEqual([45]);
    clock.sleeps.length = 0;
    h.session.hold(45);
    h.session.hold(0);
    await h.session.step(1);
    expect(clock.sleeps).toEqual([]);
    // with the Speed control's pace: the hold comes on top of it, once
    await h.session.setStepInterval(1000);
    h.session.hold(30);
    await h.session.step(2);
    expect(clock.sleeps).toEqual([30, 1000]);
  });

  it('goes on at once when the hold is released, and a pause ends a hold', async () => {
    // a clock whose waits never end by themselves: only a release (or a pause) ends them
    const sleeps: number[] = [];
    const clock = {
      now: () => 0,
      sleeps,
      sleep: (ms: number) => {
        sleeps.push(ms);
        return new Promise<void>(() => {});
      },
    };
    const h = await configured(tinyExperiment(['transformer'], { steps: 100_000 }), 0, OPTIONS, clock);
    h.session.hold(50);
    await h.session.train();
    await waitFor(() => sleeps.length === 1);
    expect(h.session.currentTrainer!.stepCount).toBe(0);
    h.session.hold(0);
    await waitFor(() => h.session.currentTrainer!.stepCount >= 3);
    // held again: the step in progress ends, then the loop waits; Pause does not wait for the hold
    h.session.hold(50);
    await waitFor(() => sleeps.length === 2);
    const at = h.session.currentTrainer!.stepCount;
    expect(await h.session.pause()).toMatchObject({ ok: true, state: 'paused', step: at });
  });

  it('reset re-initialises from the seed: the same losses again', async () => {
    const h = await configured();
    await h.session.step(4);
    const first = lossesOf(h);
    h.events.length = 0;
    expect(await h.session.reset()).toMatchObject({ ok: true, step: 0, state: 'ready' });
    await h.session.step(4);
    expect(lossesOf(h)).toEqual(first);
  });

  it('saves and loads checkpoints: training continues exactly as without the interruption', async () => {
    const straight = await configured();
    await straight.session.step(6);
    const h = await configured();
    await h.session.step(3);
    const saved = await h.session.saveCheckpoint();
    expect(saved.ok).toBe(true);
    if (!saved.ok) return;
    expect(saved.step).toBe(3);
    await h.session.reset();
    h.events.length = 0;
    const loaded = await h.session.loadCheckpoint({ model: saved.model, optimizer: saved.optimizer });
    expect(loaded).toMatchObject({ ok: true, step: 3 });
    await h.session.step(3);
    expect(stepsOf(h)).toEqual([3, 4, 5]);
    expect(lossesOf(h)).toEqual(lossesOf(straight).slice(3));
  });

  it('sends a checkpoint with each shown read-back of a small model, never older than the shown step', async () => {
    // time moves 10 ms a step (and not while a checkpoint is taken): every read-back is posted
    const run = async (liveCheckpoints: boolean) => {
      let t = 0;
      const events: TrainingEvent[] = [];
      const transfers: Transferable[][] = [];
      const session = new TrainingSession({
        pickBackend: async () => CPU,
        transfer: (value, list) => {
          transfers.push(list);
          return value;
        },
        now: () => t,
        yieldToEvents: () => {
          t += 10;
          return new Promise((r) => setTimeout(r, 0));
        },
      });
      open.push(session);
      const options = { ...OPTIONS, checkpointEverySteps: 1000, liveCheckpoints };
      expect((await session.configure(tinyExperiment(['mamba']), 0, options, (e) => events.push(e))).ok).toBe(
        true,
      );
      await session.step(10);
      return { events, transfers };
    };
    const on = await run(true);
    const live = on.events.filter((e) => e.type === 'checkpoint' && e.reason === 'live');
    expect(live.map((e) => (e as { step: number }).step)).toEqual([1, 3, 5, 7, 9]);
    // the first step is read back at once; then every 2 steps (readEvery). Each right after the
    // losses of its step (the page's shown step), its bytes transferred
    for (const c of live) {
      const before = on.events[on.events.indexOf(c) - 1] as MetricsEvent;
      expect(before.type).toBe('metrics');
      expect(before.step).toBe((c as { step: number }).step);
      expect(before.reloadLoss).toEqual({ steps: 2, cadence: 'read-back' });
    }
    const withBytes = live[0] as Extract<TrainingEvent, { type: 'checkpoint' }>;
    expect(withBytes.optimizer?.length).toBeGreaterThan(0);
    expect(eventTransferables(withBytes)).toContain(withBytes.model.buffer);
    // the stopping point's own checkpoint (step 10) follows as before
    expect(on.events.filter((e) => e.type === 'checkpoint' && e.reason === 'paused').length).toBe(1);
    // turned off: none, and the page is told the periodic loss
    const off = await run(false);
    expect(off.events.filter((e) => e.type === 'checkpoint' && e.reason === 'live')).toEqual([]);
    const m = off.events.filter((e) => e.type === 'metrics') as MetricsEvent[];
    expect(m.at(-1)?.reloadLoss.cadence).toBe('periodic');
  });

  it('keeps the model when only settings change, rebuilds it when the stream changes', async () => {
    const e = tinyExperiment(['transformer', 'mamba']);
    const h = await configured(e, 1);
    await h.session.step(2);
    const lrOnly = await h.session.configure({ ...e, optimizer: { ...e.optimizer, lr: 5e-4 }, steps: 80 }, 1);
    expect(lrOnly).toMatchObject({ ok: true, kept: true, step: 2, totalSteps: 80 });
    expect(h.session.currentTrainer!.learningRate).toBe(5e-4);
    // the same model at another index (the Transformer was removed from the race)
    const moved = await h.session.configure(tinyExperiment(['mamba']), 0);
    expect(moved).toMatchObject({ ok: true, kept: true, step: 2 });
    // a kept model goes on training through the change, with the new rate from the next step
    await h.session.train();
    const at = h.session.currentTrainer!.stepCount;
    const live = await h.session.configure(
      { ...tinyExperiment(['mamba']), optimizer: { ...e.optimizer, lr: 2e-4 }, steps: 100_000 },
      0,
    );
    expect(live).toMatchObject({ ok: true, kept: true });
    await waitFor(() => h.session.currentTrainer!.stepCount >= at + 3);
    expect(lastStatus(h).state).toBe('training');
    expect(h.session.currentTrainer!.learningRate).toBe(2e-4);
    await h.session.pause();
    const reseeded = await h.session.configure(tinyExperiment(['mamba'], { seed: 9 }), 0);
    expect(reseeded).toMatchObject({ ok: true, kept: false, step: 0 });
  });

  it('probes a prompt edited on the page and rejects a malformed one', async () => {
    const h = await configured();
    const t = h.session.currentTrainer!;
    const batch = t.batchAt(0);
    const seqLen = batch.seqLen;
    const tokens = batch.tokens.slice(0, seqLen * batch.tokenDim);
    tokens[1] = 0.5;
    const r = await h.session.probe({ tokens, seqLen, tokenDim: batch.tokenDim });
    expect(r.ok).toBe(true);
    expect(r.ok && r.result.seqLen).toBe(seqLen);
    expect((h.of('probe').at(-1) as ProbeEvent).custom).toBe(true);
    const bad = await h.session.probe({ tokens: tokens.slice(0, 2), seqLen: 1, tokenDim: 2 + 1 });
    expect(bad.ok).toBe(false);
  });
});

describe('TrainingSession: divergence and resources', () => {
  it('pauses a diverged model, restores its last good checkpoint and suggests a lower rate', async () => {
    const h = await configured(tinyExperiment(['mamba'], { steps: 1000 }));
    await h.session.step(4); // checkpointEverySteps 4: a good checkpoint at step 4
    expect(h.of('checkpoint').map((c) => c.step)).toContain(4);
    const t = h.session.currentTrainer!;
    const [name, v] = [...t.model.variables][0];
    v.assign(tf.fill(v.shape, Number.NaN));
    const r = await h.session.step(2);
    expect(r).toMatchObject({ ok: true, state: 'diverged', step: 4 });
    const d = h.of('diverged').at(-1) as DivergedEvent;
    expect(d.step).toBe(4);
    expect(Number.isNaN(d.loss)).toBe(true);
    expect(d.restoredStep).toBe(4);
    expect(d.suggestedLr).toBeLessThan(d.lr);
    expect(d.message).toMatch(/diverged at step 4.*lower learning rate/);
    const weights = await h.session.currentTrainer!.model.getWeights();
    expect(weights.get(name)!.every(Number.isFinite)).toBe(true);
    expect(lastStatus(h).state).toBe('diverged');
    // continues from the restored checkpoint
    await h.session.setLearningRate(d.suggestedLr);
    expect(await h.session.step(1)).toMatchObject({ ok: true, step: 5, state: 'paused' });
  });

  it('diverging before any checkpoint goes back to the initialisation', async () => {
    const h = await configured(tinyExperiment(['transformer']), 0, {
      ...OPTIONS,
      checkpointEverySteps: 1000,
    });
    const [, v] = [...h.session.currentTrainer!.model.variables][0];
    v.assign(tf.fill(v.shape, Number.POSITIVE_INFINITY));
    await h.session.step(1);
    expect((h.of('diverged').at(-1) as DivergedEvent).restoredStep).toBe(0);
    expect(lastStatus(h)).toMatchObject({ state: 'diverged', step: 0 });
  });

  it('keeps the tensor count constant over many steps', async () => {
    const h = await configured(tinyExperiment(['mamba'], { steps: 100_000 }), 0, {
      ...OPTIONS,
      checkpointEverySteps: 50,
      evalEverySteps: 60,
      probeIntervalMs: 1,
    });
    await h.session.step(5);
    const warm = (await h.session.stats()).tensors;
    await h.session.step(150);
    const after = await h.session.stats();
    expect(after.step).toBe(155);
    expect(after.tensors).toBe(warm);
    await h.session.dispose();
    expect(tf.memory().numTensors).toBeLessThan(warm);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
