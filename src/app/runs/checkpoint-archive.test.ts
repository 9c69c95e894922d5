import { describe, expect, it } from 'vitest';
import { CheckpointArchive } from './checkpoint-archive';
import { CheckpointHistory } from './checkpoint-history';
import { memoryRunDb } from './run-db';

const bytes = (step: number, size = 4) => new Uint8Array(size).fill(step % 256);

describe('the checkpoint archive (history checkpoints in the run database)', () => {
  it('keeps in the database exactly the steps the in-memory history keeps', async () => {
    const db = memoryRunDb();
    const archive = new CheckpointArchive(async () => db, 5);
    const memory = new CheckpointHistory(5);
    for (let step = 0; step <= 1000; step += 50) {
      await archive.record('run', 'm', step, bytes(step));
      memory.add('m', step, bytes(step));
    }
    const stored = (await db.listHistory('run')).map((c) => c.step);
    expect(stored).toHaveLength(5);
    expect(stored).toEqual(memory.stepsOf('m'));
    expect(stored[0]).toBe(0);
    expect(stored[4]).toBe(1000);
  });

  it('bounds the bytes per model, and a model that went back drops its later records', async () => {
    const db = memoryRunDb();
    const archive = new CheckpointArchive(async () => db, 24, 10);
    for (const step of [0, 10, 20, 30]) await archive.record('run', 'big', step, bytes(step, 4));
    // 4 bytes each, 10 at most: the first and the latest stay (and nothing else fits)
    expect((await db.listHistory('run')).map((c) => c.step)).toEqual([0, 30]);
    for (const step of [0, 10, 20]) await archive.record('run', 'small', step, bytes(step, 1));
    await archive.record('run', 'small', 10, bytes(99, 1));
    const small = (await db.listHistory('run')).filter((c) => c.modelKey === 'small');
    expect(small.map((c) => c.step)).toEqual([0, 10]);
    expect(small[1].model[0]).toBe(99);
  });

  it('after a reload, restores the history and goes on bounding it', async () => {
    const db = memoryRunDb();
    const before = new CheckpointArchive(async () => db, 3);
    for (const step of [0, 100, 200]) await before.record('run', 'm', step, bytes(step));
    await before.record('run', 'n', 50, bytes(50));
    // a new page: a new archive over the same database
    const after = new CheckpointArchive(async () => db, 3);
    const restored = await after.restore('run');
    expect(restored.map((c) => `${c.modelKey}@${c.step}`)).toEqual(['m@0', 'n@50', 'm@100', 'm@200']);
    expect(restored[2].model).toEqual(bytes(100));
    await after.record('run', 'm', 300, bytes(300));
    expect((await db.listHistory('run')).filter((c) => c.modelKey === 'm').map((c) => c.step)).toEqual([
      0, 200, 300,
    ]);
    // a run the archive has not seen is read from the database before it is bounded
    const third = new CheckpointArchive(async () => db, 3);
    await third.record('run', 'm', 400, bytes(400));
    expect((await db.listHistory('run')).filter((c) => c.modelKey === 'm').map((c) => c.step)).toEqual([
      0, 200, 400,
    ]);
  });
});
