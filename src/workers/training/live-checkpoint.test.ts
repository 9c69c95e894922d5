import { describe, expect, it } from 'vitest';
import {
  checkpointBytes,
  checkpointCadence,
  LIVE_CHECKPOINT_BUDGET,
  LiveCheckpoints,
  PERIODIC_CHECKPOINT_MS,
} from './live-checkpoint';

const MB = 1024 * 1024;

describe('checkpointCadence: checkpoints at the read-back by size and measured cost', () => {
  it('counts the weights and both Adam moments', () => {
    expect(checkpointBytes(1000)).toBe(12_000);
  });

  it('leaves a model over the byte budget to the periodic checkpoint', () => {
    const budget = LIVE_CHECKPOINT_BUDGET.maxBytes;
    expect(checkpointCadence({ bytes: budget + 1, checkpointMs: 0.1, intervalMs: 250 })).toEqual({
      kind: 'periodic',
      why: 'bytes',
    });
    // at the limit, with a second between read-backs (8 MB/s)
    expect(checkpointCadence({ bytes: budget, checkpointMs: 0.1, intervalMs: 1000 })).toEqual({
      kind: 'read-back',
      every: 1,
    });
  });

  it('takes the first one to measure it', () => {
    expect(checkpointCadence({ bytes: MB, checkpointMs: null, intervalMs: null })).toEqual({
      kind: 'read-back',
      every: 1,
    });
    expect(checkpointCadence({ bytes: MB, checkpointMs: 50, intervalMs: null })).toEqual({
      kind: 'read-back',
      every: 1,
    });
  });

  it('keeps the cost under 5 % of training time by skipping read-backs', () => {
    // 250 ms of training between read-backs: up to 12.5 ms per checkpoint at every one
    expect(checkpointCadence({ bytes: MB, checkpointMs: 12.5, intervalMs: 250 })).toEqual({
      kind: 'read-back',
      every: 1,
    });
    expect(checkpointCadence({ bytes: MB, checkpointMs: 13, intervalMs: 250 })).toEqual({
      kind: 'read-back',
      every: 2,
    });
    expect(checkpointCadence({ bytes: MB, checkpointMs: 100, intervalMs: 250 })).toEqual({
      kind: 'read-back',
      every: 8,
    });
  });

  it('keeps the bytes sent to the page under 8 MB/s', () => {
    // 4 MB every 250 ms would be 16 MB/s: every 2nd read-back; 1 MB fits every one
    expect(checkpointCadence({ bytes: 4 * MB, checkpointMs: 1, intervalMs: 250 })).toEqual({
      kind: 'read-back',
      every: 2,
    });
    expect(checkpointCadence({ bytes: 2 * MB, checkpointMs: 1, intervalMs: 250 })).toEqual({
      kind: 'read-back',
      every: 1,
    });
  });

  it('falls back to the periodic checkpoint when the cadence would be sparser than it', () => {
    // 1 s per checkpoint needs 20 s of training between them: the 10 s timer does better
    expect(checkpointCadence({ bytes: MB, checkpointMs: 1000, intervalMs: 250 })).toEqual({
      kind: 'periodic',
      why: 'time',
    });
    // slow steps (one read-back per step of 2 s): a 100 ms checkpoint still fits every read-back
    expect(checkpointCadence({ bytes: MB, checkpointMs: 100, intervalMs: 2000 })).toEqual({
      kind: 'read-back',
      every: 1,
    });
  });
});

describe('LiveCheckpoints: the session bookkeeping', () => {
  it('measures training time without the checkpoints and says how much a reload loses', () => {
    const live = new LiveCheckpoints(1000, true);
    // first post: nothing measured, a checkpoint to measure its cost
    expect(live.posted(0, 5)).toBe(true);
    live.took(20);
    // 250 ms later, 20 of them spent on the checkpoint: 230 ms of training for 5 steps
    // 20 ms > 5 % of 230 ms: every 2nd read-back
    expect(live.posted(250, 10)).toBe(false);
    expect(live.cadence).toEqual({ kind: 'read-back', every: 2 });
    expect(live.posted(500, 15)).toBe(true);
    live.took(20);
    expect(live.reloadLoss(20)).toEqual({ steps: 10, cadence: 'read-back' });
    // cheap again: every read-back
    for (let i = 0; i < 40; i++) live.took(1);
    expect(live.posted(750, 20)).toBe(true);
    expect(live.posted(1000, 25)).toBe(true);
    expect(live.reloadLoss(20)).toEqual({ steps: 5, cadence: 'read-back' });
  });

  it('never takes one for a model over the byte budget, and says the periodic loss', () => {
    const params = LIVE_CHECKPOINT_BUDGET.maxBytes / 12 + 1;
    const live = new LiveCheckpoints(params, true);
    expect(live.posted(0, 5)).toBe(false);
    expect(live.posted(250, 10)).toBe(false);
    expect(live.reloadLoss(20)).toEqual({
      steps: (20 * PERIODIC_CHECKPOINT_MS) / 1000,
      cadence: 'periodic',
    });
  });

  it('takes none when turned off', () => {
    const live = new LiveCheckpoints(10, false);
    expect(live.posted(0, 5)).toBe(false);
    expect(live.cadence).toEqual({ kind: 'periodic', why: 'off' });
  });

  it('measures afresh after a restart (the pause is not training time)', () => {
    const live = new LiveCheckpoints(1000, true);
    live.posted(0, 5);
    live.took(10);
    live.posted(1000, 10); // 990 ms of training
    live.restart();
    // a minute paused: not counted, the next interval starts at the first post
    expect(live.posted(61_000, 15)).toBe(true);
    expect(live.cadence).toEqual({ kind: 'read-back', every: 1 });
  });
});
