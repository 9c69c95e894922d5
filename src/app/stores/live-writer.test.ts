import { describe, expect, it } from 'vitest';
import { createLiveStore, newModelLive } from './live-store';
import { type LiveOwner, LiveWriter } from './live-writer';

function owner(name: LiveOwner['name'], log: string[]): LiveOwner {
  return { name, release: async () => void log.push(`release ${name}`) };
}

const model = (slot: number) => newModelLive(slot, 0, 'transformer', 'Transformer');

describe('LiveWriter', () => {
  it('lets one writer at a time write, and releases the one holding the store on a claim', async () => {
    const log: string[] = [];
    const live = createLiveStore();
    const writer = new LiveWriter(live);
    const race = owner('race', log);
    const recording = owner('recording', log);
    expect(writer.dispatch(race, { type: 'show-models', models: [model(1)] })).toBe(false);
    expect(live.getState().models).toEqual([]);
    await writer.claim(race);
    expect(writer.dispatch(race, { type: 'show-models', models: [model(1)] })).toBe(true);
    expect(live.getState().models.map((m) => m.slot)).toEqual([1]);
    await writer.claim(race);
    expect(log).toEqual([]);
    await writer.claim(recording);
    expect(log).toEqual(['release race']);
    expect(writer.current).toBe('recording');
    expect(writer.dispatch(race, { type: 'clear-models' })).toBe(false);
    expect(live.getState().models).toHaveLength(1);
    writer.leave(race);
    expect(writer.holds(recording)).toBe(true);
    writer.leave(recording);
    expect(writer.current).toBeNull();
  });
});
