import { describe, expect, it } from 'vitest';
import { createLiveStore } from './live-store';
import { type LiveOwner, LiveWriter } from './live-writer';

function owner(name: LiveOwner['name'], log: string[]): LiveOwner {
  return { name, release: async () => void log.push(`release ${name}`) };
}

describe('LiveWriter', () => {
  it('lets one writer at a time write, and releases the one holding the store on a claim', async () => {
    const log: string[] = [];
    const live = createLiveStore();
    const writer = new LiveWriter(live);
    const race = owner('race', log);
    const recording = owner('recording', log);
    expect(writer.write(race, () => ({ training: true }))).toBe(false);
    expect(live.getState().training).toBe(false);
    await writer.claim(race);
    expect(writer.write(race, () => ({ training: true }))).toBe(true);
    expect(live.getState().training).toBe(true);
    await writer.claim(race);
    expect(log).toEqual([]);
    await writer.claim(recording);
    expect(log).toEqual(['release race']);
    expect(writer.current).toBe('recording');
    expect(writer.write(race, () => ({ training: false }))).toBe(false);
    expect(live.getState().training).toBe(true);
    writer.leave(race);
    expect(writer.holds(recording)).toBe(true);
    writer.leave(recording);
    expect(writer.current).toBeNull();
  });
});
