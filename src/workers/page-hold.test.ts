import { describe, expect, it } from 'vitest';
import { holdMessage, holdOf, MAX_HOLD_MS, obeyHolds } from './page-hold';

describe('page holds (messages)', () => {
  it('reads a hold from its message, within 0 and MAX_HOLD_MS', () => {
    expect(holdOf(holdMessage(40))).toBe(40);
    expect(holdOf(holdMessage(0))).toBe(0);
    expect(holdOf(holdMessage(10_000))).toBe(MAX_HOLD_MS);
    expect(holdOf(holdMessage(-5))).toBe(0);
    expect(holdOf({ iclHold: Number.NaN })).toBeNull();
    expect(holdOf({ iclHold: '40' })).toBeNull();
    // comlink's messages and heartbeats are not holds
    expect(holdOf({ iclHeartbeat: 3 })).toBeNull();
    expect(holdOf({ id: 'x', type: 'APPLY' })).toBeNull();
    expect(holdOf(null)).toBeNull();
    expect(holdOf(40)).toBeNull();
  });

  it('passes on the holds a worker receives, and nothing else', () => {
    let listener: ((event: MessageEvent) => void) | null = null;
    const scope = {
      addEventListener: (_type: 'message', fn: (event: MessageEvent) => void) => {
        listener = fn;
      },
    };
    const seen: number[] = [];
    obeyHolds(scope, (ms) => seen.push(ms));
    const send = (data: unknown) => listener!({ data } as MessageEvent);
    send(holdMessage(30));
    send({ iclHeartbeat: 1 });
    send(holdMessage(0));
    send({ iclHold: 'soon' });
    expect(seen).toEqual([30, 0]);
  });
});
