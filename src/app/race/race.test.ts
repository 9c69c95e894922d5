/**
 * The race controller against fake training clients (no workers, no tfjs): which workers start,
 * stop and are reconfigured; notices for divergence, crashes, fallback and storage; persistence
 * and resume through the in-memory run database.
 */
import { describe, expect, it } from 'vitest';
import type { BackendReport } from '../../workers/training/protocol';
import { memoryRunDb } from '../runs/run-db';
import { createUiStore } from '../stores/ui-store';
import { setup, status, tick } from './race-test-kit';

describe('RaceController', () => {
  it('starts one worker per model on Train, nothing before', async () => {
    const { race, clients, live } = setup();
    await tick();
    expect(clients).toHaveLength(0);
    await race.train();
    expect(clients).toHaveLength(3);
    expect(clients.map((c) => c.calls)).toEqual([
      ['configure:0', 'train'],
      ['configure:1', 'train'],
      ['configure:2', 'train'],
    ]);
    expect(live.getState().models.map((m) => m.arch)).toEqual(['transformer', 'mamba', 'mambaformer']);
    expect(live.getState().training).toBe(true);
    expect(live.getState().runId).toBe('run-1');
  });

  it('holds the workers a redraw needs held on a small machine, and releases them', async () => {
    // 3 workers on 2 cores: two wait while a chart redraws, the third trains on (redraw-hold.ts)
    const small = setup({ cores: 2 });
    await small.race.train();
    const holds = () => small.clients.map((c) => c.calls.filter((x) => x.startsWith('hold')));
    const release = small.race.holdForRedraw();
    expect(holds()).toEqual([['hold:50'], ['hold:50'], []]);
    release();
    expect(holds()).toEqual([['hold:50', 'hold:0'], ['hold:50', 'hold:0'], []]);
    // the next redraw holds the next two: each model waits as often as the others
    small.race.holdForRedraw()();
    expect(holds().map((h) => h.length)).toEqual([2, 4, 2]);
    // 3 workers on 8 cores: a core is free for the page, nobody waits
    const big = setup({ cores: 8 });
    await big.race.train();
    big.race.holdForRedraw()();
    expect(big.clients.flatMap((c) => c.calls).filter((x) => x.startsWith('hold'))).toEqual([]);
  });

  it('restarts only what it must when the experiment changes', async () => {
    const { race, clients, experiment, live } = setup();
    await race.train();
    const slots = race.slotIds;
    // a new learning rate: applied in place by every worker, no new worker
    experiment.getState().setLearningRate(5e-4);
    await tick();
    expect(clients).toHaveLength(3);
    expect(clients.every((c) => c.configuredWith.at(-1)!.experiment.optimizer.lr === 5e-4)).toBe(true);
    // removing Mamba stops its worker only
    experiment.getState().toggleArch('mamba', false);
    await tick();
    expect(clients[1].calls).toContain('dispose');
    expect(clients[0].calls).not.toContain('dispose');
    expect(race.slotIds).toEqual([slots[0], slots[2]]);
    // adding S4 starts exactly one worker; the run continues
    experiment.getState().toggleArch('s4', true);
    await tick();
    expect(clients).toHaveLength(4);
    // it joins the running race
    expect(clients[3].calls).toEqual(['configure:2', 'train']);
    expect(live.getState().runId).toBe('run-1');
    // a new seed is a new data stream: every model is rebuilt in its worker, a fresh run
    experiment.getState().setSeed(7);
    await tick();
    expect(clients).toHaveLength(4);
    expect(live.getState().runId).toBeNull();
  });

  it('pause, step and reset reach every worker', async () => {
    const { race, clients, live } = setup();
    await race.train();
    await race.pause();
    await race.step();
    await race.reset();
    for (const c of clients) expect(c.calls.slice(1)).toEqual(['train', 'pause', 'step:1', 'pause', 'reset']);
    expect(live.getState().training).toBe(false);
  });

  it('says "pausing" at once, while the workers finish the step in flight, and no longer after', async () => {
    const { race, clients, live } = setup();
    await race.train();
    let finish = () => {};
    const inFlight = new Promise<void>((r) => (finish = r));
    for (const c of clients) {
      const pause = c.pause.bind(c);
      c.pause = () => inFlight.then(pause);
    }
    const paused = race.pause();
    expect(live.getState()).toMatchObject({ training: false, pausing: true });
    await tick();
    expect(live.getState().pausing).toBe(true);
    finish();
    await paused;
    expect(live.getState().pausing).toBe(false);
  });

  it('keeps the Speed pace in every worker: new, rebuilt, restarted; a change restarts nothing', async () => {
    const ui = createUiStore();
    ui.getState().setStepInterval(2000);
    const { race, clients, experiment } = setup({ ui });
    await race.train();
    for (const c of clients)
      expect(c.calls).toEqual([expect.stringMatching(/^configure/), 'pace:2000', 'train']);
    // a new pace reaches every worker at once, while training, without reconfiguring anything
    ui.getState().setStepInterval(0);
    await tick();
    for (const c of clients) expect(c.calls.slice(3)).toEqual(['pace:0']);
    ui.getState().setStepInterval(500);
    ui.getState().setStepInterval(500);
    await race.reset();
    for (const c of clients) expect(c.calls.slice(4)).toEqual(['pace:500', 'pause', 'reset']);
    // a model added mid-race joins at the chosen pace
    experiment.getState().toggleArch('s4', true);
    await tick();
    expect(clients).toHaveLength(4);
    expect(clients[3].calls).toEqual([expect.stringMatching(/^configure/), 'pace:500']);
    // so does a crashed worker's replacement
    clients[0].emit({ type: 'crashed', message: 'out of memory' });
    await race.restartModel(race.slotIds[0]);
    expect(clients).toHaveLength(5);
    expect(clients[4].calls).toEqual(['configure:0', 'pace:500']);
    race.dispose();
    ui.getState().setStepInterval(2000);
    expect(clients[4].calls).not.toContain('pace:2000');
  });

  it('turns a divergence into an alert with a lower learning rate for that model only', async () => {
    const { race, clients, live } = setup();
    await race.train();
    const slot = race.slotIds[1];
    clients[1].emit({
      type: 'metrics',
      steps: Int32Array.of(0, 1, 2, 3),
      losses: Float32Array.of(4, 3, 2, Number.NaN),
      gradNorms: Float32Array.of(1, 1, 1, 1),
      step: 4,
      totalSteps: 100,
      lr: 1e-3,
      stepsPerSecond: 1,
      etaSeconds: 96,
      tensors: 10,
      bytes: 100,
      reloadLoss: { steps: 4, cadence: 'read-back' },
    });
    clients[1].emit({
      type: 'diverged',
      step: 3,
      loss: Number.NaN,
      message: 'Mamba diverged at step 3',
      lr: 1e-3,
      suggestedLr: 3e-4,
      restoredStep: 2,
    });
    const model = live.getState().models.find((m) => m.slot === slot)!;
    expect(model.state).toBe('diverged');
    expect(model.loss.end).toBe(2);
    const notice = live.getState().notices.find((n) => n.kind === 'diverged')!;
    expect(notice.message).toMatch(/diverged/);
    expect(notice.action).toMatchObject({ kind: 'lower-lr', lr: 3e-4 });
    // the others keep training
    expect(live.getState().training).toBe(true);
    await race.setModelLearningRate(slot, 3e-4);
    expect(clients[1].calls).toContain('lr:0.0003');
    expect(clients[0].calls).not.toContain('lr:0.0003');
    expect(live.getState().notices.some((n) => n.kind === 'diverged')).toBe(false);
  });

  it('says once when the workers fell back from WebGPU', async () => {
    const fallback: BackendReport = {
      name: 'webgl',
      attempts: [
        { name: 'webgpu', ok: false, reason: 'no WebGPU adapter' },
        { name: 'webgl', ok: true },
      ],
      fallback: true,
      detail: '',
      summary: 'webgl',
    };
    const { race, clients, live } = setup({ backend: fallback });
    await race.train();
    for (const c of clients) c.emit(status({ backend: fallback }));
    const notices = live.getState().notices.filter((n) => n.kind === 'backend');
    expect(notices).toHaveLength(1);
    expect(notices[0].message).toMatch(/train on webgl.*no WebGPU adapter/);
  });

  it('reports a crashed worker and restarts it from its last checkpoint', async () => {
    const { race, clients, live } = setup();
    await race.train();
    const slot = race.slotIds[0];
    clients[0].emit({ type: 'checkpoint', step: 7, reason: 'periodic', model: Uint8Array.of(7) });
    clients[0].emit({ type: 'crashed', message: 'out of memory' });
    expect(live.getState().models[0].state).toBe('crashed');
    const notice = live.getState().notices.find((n) => n.kind === 'crashed')!;
    expect(notice.message).toMatch(/out of memory.*other models are not affected/);
    expect(notice.action?.label).toMatch(/Restart Transformer from its last checkpoint \(step 7\)/);
    await race.restartModel(slot);
    expect(clients).toHaveLength(4);
    expect(clients[0].calls).toContain('terminate');
    expect(clients[3].calls).toEqual(['configure:0', 'load', 'train']);
    expect(clients[3].loaded).toEqual([{ step: 7 }]);
    expect(live.getState().notices.some((n) => n.kind === 'crashed')).toBe(false);
  });

  it('a model that crashed while training trains on after its restart, even when it was the last one', async () => {
    const { race, clients, live } = setup();
    await race.train();
    for (const c of clients) c.emit({ type: 'crashed', message: 'lost' });
    // no model trains any more: the race is not training
    expect(live.getState().training).toBe(false);
    await race.restartModel(race.slotIds[0]);
    expect(clients[3].calls).toEqual(['configure:0', 'train']);
    expect(live.getState().training).toBe(true);
    // after a Pause, a restart leaves it paused
    await race.pause();
    await race.restartModel(race.slotIds[1]);
    expect(clients[4].calls).toEqual(['configure:1']);
  });

  it('keeps runs: checkpoints and curves are stored, and a run resumes after a "reload"', async () => {
    const db = memoryRunDb();
    const first = setup({ db });
    await first.race.train();
    first.clients.forEach((c, i) => {
      c.emit({ type: 'checkpoint', step: 10 + i, reason: 'paused', model: Uint8Array.of(10 + i) });
    });
    await first.race.pause();
    await tick();
    const stored = await db.listRuns();
    expect(stored.runs).toHaveLength(1);
    expect(stored.runs[0].models.map((m) => m.checkpointStep)).toEqual([10, 11, 12]);
    first.race.dispose();
    expect(first.clients.every((c) => c.calls.includes('terminate'))).toBe(true);

    const second = setup({ db });
    await tick();
    expect(second.runs.getState().runs.map((r) => r.id)).toEqual(['run-1']);
    expect(second.runs.getState().runs[0].models.map((m) => m.step)).toEqual([10, 11, 12]);
    await second.race.resumeRun('run-1');
    expect(second.clients.map((c) => c.loaded)).toEqual([[{ step: 10 }], [{ step: 11 }], [{ step: 12 }]]);
    expect(second.live.getState().models.map((m) => m.step)).toEqual([10, 11, 12]);
    expect(second.live.getState().runId).toBe('run-1');
    await second.race.deleteRun('run-1');
    expect(second.clients.every((c) => c.calls.includes('dispose'))).toBe(true);
    expect((await db.listRuns()).runs).toHaveLength(0);
    expect(second.live.getState().models).toHaveLength(0);
  });

  it("the probe scrubber's checkpoints outlive a reload: a resumed run hands them to the listeners", async () => {
    const db = memoryRunDb();
    const first = setup({ db });
    await first.race.train();
    for (const step of [10, 20, 30]) {
      first.clients.forEach((c, i) => {
        c.emit({ type: 'checkpoint', step: step + i, reason: 'periodic', model: Uint8Array.of(step + i) });
      });
      await tick();
    }
    // those taken at a read-back (a reload loses little) are stored, resumed from, never archived
    first.clients.forEach((c, i) => {
      c.emit({ type: 'checkpoint', step: 35 + i, reason: 'live', model: Uint8Array.of(35 + i) });
    });
    await first.race.pause();
    await tick();
    first.race.dispose();
    const second = setup({ db });
    const heard: string[] = [];
    second.race.onCheckpoint((c) => heard.push(`${c.index}@${c.step}:${c.model[0]}`));
    await second.race.resumeRun('run-1');
    expect(second.clients.map((c) => c.loaded)).toEqual([[{ step: 35 }], [{ step: 36 }], [{ step: 37 }]]);
    expect(heard.join(' ')).toBe('0@10:10 1@11:11 2@12:12 0@20:20 1@21:21 2@22:22 0@30:30 1@31:31 2@32:32');
    // deleting the run deletes its history too
    await second.race.deleteRun('run-1');
    expect(await db.listHistory('run-1')).toEqual([]);
  });

  it('stands down for a recorded run: the run is saved, the workers stop, the live store is free', async () => {
    const db = memoryRunDb();
    const { race, clients, live, writer } = setup({ db });
    await race.train();
    expect(writer.current).toBe('race');
    clients[0].emit({ type: 'checkpoint', step: 5, reason: 'periodic', model: Uint8Array.of(5) });
    const recording = { name: 'recording' as const, release() {} };
    await writer.claim(recording);
    expect(writer.current).toBe('recording');
    expect(clients.every((c) => c.calls.includes('pause') && c.calls.includes('dispose'))).toBe(true);
    expect(live.getState()).toMatchObject({ models: [], training: false, runId: null });
    // a late event of a stopped worker writes nothing
    const traffic = live.getState().traffic;
    clients[0].emit({ type: 'warning', message: 'late' });
    expect(live.getState().traffic).toBe(traffic);
    expect((await db.listRuns()).runs.map((r) => r.id)).toEqual(['run-1']);
    // Train takes the live store back, with a fresh run
    await race.train();
    expect(writer.current).toBe('race');
    expect(live.getState().models.length).toBeGreaterThan(0);
    expect(live.getState()).toMatchObject({ training: true, runId: 'run-2' });
    race.dispose();
  });

  it('a run finished just before a settings change keeps its last checkpoint', async () => {
    const db = memoryRunDb();
    // saves are far apart: the one the checkpoint schedules is still pending when the settings change
    const { race, clients, experiment } = setup({ db, saveEveryMs: 60_000 });
    await race.train();
    await race.pause();
    clients.forEach((c, i) => {
      c.emit({ type: 'checkpoint', step: 20 + i, reason: 'paused', model: Uint8Array.of(20 + i) });
    });
    await tick();
    experiment.getState().setSize('dModel', 16);
    await tick(40);
    await race.train();
    const stored = await db.listRuns();
    expect(stored.runs.map((r) => r.id).sort()).toEqual(['run-1', 'run-2']);
    const first = stored.runs.find((r) => r.id === 'run-1')!;
    expect(first.models.map((m) => m.checkpointStep)).toEqual([20, 21, 22]);
    expect(first.experiment.models[0].dModel).not.toBe(16);
    race.dispose();
  });

  it('warns instead of failing when storage is full or unavailable', async () => {
    const full = setup({ db: memoryRunDb({ quotaBytes: 1 }) });
    await full.race.train();
    full.clients[0].emit({ type: 'checkpoint', step: 5, reason: 'periodic', model: new Uint8Array(64) });
    await tick();
    const notice = full.live.getState().notices.find((n) => n.kind === 'storage')!;
    expect(notice.message).toMatch(/storage for this site is full.*Training goes on/);
    expect(full.live.getState().training).toBe(true);

    const blocked = setup({ db: () => Promise.reject(new Error('blocked by policy')) });
    await tick();
    expect(blocked.runs.getState().status).toBe('memory');
    expect(blocked.live.getState().notices.find((n) => n.kind === 'storage')?.message).toMatch(
      /kept in memory only/,
    );
    await blocked.race.train();
    expect(blocked.clients).toHaveLength(3);
  });
});

describe('RaceController.exportCheckpoint', () => {
  it('asks the worker for its weights, falls back to the last checkpoint, and says why not', async () => {
    const { race, clients, live } = setup();
    await race.step();
    const [a, b] = race.slotIds;
    const weights = Uint8Array.from([1, 2, 3]);
    clients[0].saveCheckpoint = () => Promise.resolve({ ok: true, step: 1, model: weights });
    expect(await race.exportCheckpoint(a)).toEqual({ ok: true, model: weights, step: 1 });
    // the second worker cannot save now: nothing to fall back on yet, then its periodic checkpoint
    const no = await race.exportCheckpoint(b);
    expect(no.ok).toBe(false);
    clients[1].emit({ type: 'checkpoint', step: 1, reason: 'paused', model: Uint8Array.from([9]) });
    expect(await race.exportCheckpoint(b)).toEqual({ ok: true, model: Uint8Array.from([9]), step: 1 });
    expect((await race.exportCheckpoint(12345)).ok).toBe(false);
    expect(live.getState().models).toHaveLength(3);
  });
});
