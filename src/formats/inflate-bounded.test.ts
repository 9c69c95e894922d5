import { deflateSync, gunzipSync, gzipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { InflateError, inflateBounded } from './inflate-bounded';
import { decodeReplay, MAX_REPLAY_JSON } from './replay';
import { decodeShareFragment, MAX_LINK_PAYLOAD } from './share-link';

const MB = 1024 * 1024;

/** One gzip member of 64 MiB of spaces (~64 kB compressed), made once. */
const member = gzipSync(new Uint8Array(64 * MB).fill(32), { level: 9 });
/** Four members in a row: one valid gzip stream of 256 MiB from ~256 kB. */
const bomb = new Uint8Array(member.length * 4);
for (let i = 0; i < 4; i++) bomb.set(member, i * member.length);

function reason(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof InflateError ? e.reason : `other: ${(e as Error).message}`;
  }
  return 'none';
}

/** Time of `f` and the ArrayBuffer bytes added while it runs (what it returns stays alive until read). */
function measure(f: () => unknown): { ms: number; buffers: number } {
  const before = process.memoryUsage();
  const t0 = performance.now();
  const kept = f();
  const ms = performance.now() - t0;
  const after = process.memoryUsage();
  void kept;
  return { ms, buffers: after.arrayBuffers - before.arrayBuffers };
}

describe('inflateBounded', () => {
  it('inflates gzip and raw deflate within the limit, byte for byte', () => {
    const text = strToU8('in-context learning '.repeat(5000));
    expect(inflateBounded(gzipSync(text), 'gzip', text.length)).toEqual(text);
    expect(inflateBounded(deflateSync(text), 'deflate', text.length)).toEqual(text);
    expect(inflateBounded(gzipSync(new Uint8Array(0)), 'gzip', 0)).toEqual(new Uint8Array(0));
  });

  it('stops one byte past the limit, and tells damaged and truncated data apart', () => {
    const text = strToU8('x'.repeat(10_000));
    expect(reason(() => inflateBounded(gzipSync(text), 'gzip', 9_999))).toBe('too-large');
    expect(reason(() => inflateBounded(deflateSync(text), 'deflate', 9_999))).toBe('too-large');
    const gz = gzipSync(strToU8('abcdefghij'.repeat(1000)));
    expect(reason(() => inflateBounded(gz.subarray(0, gz.length - 12), 'gzip', MB))).toBe('truncated');
    expect(
      reason(() => inflateBounded(new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8]), 'gzip', MB)),
    ).not.toBe('none');
    expect(reason(() => inflateBounded(new Uint8Array([0xff, 0xff, 0xff]), 'deflate', MB))).toBe('corrupt');
  });

  it('refuses a 256 MiB decompression bomb within 5 s', () => {
    expect(bomb.length).toBeLessThan(400 * 1024);
    // least of 3 tries (a busy runner); unbounded inflation takes ~10 s and ~256 MB
    const ms = [0, 1, 2].map(
      () =>
        measure(() => {
          expect(reason(() => inflateBounded(bomb, 'gzip', 16 * MB))).toBe('too-large');
        }).ms,
    );
    expect(Math.min(...ms)).toBeLessThan(5000);
  });

  it('stops at the limit: a bomb damaged half-way through is refused as too large, not as damaged', () => {
    // Deterministic where memory counters are not (the process's counters can miss a 64 MiB buffer):
    // the first ~1 kB of the 64 MiB member inflate to ~1 MiB, the damage sits ~32 kB in. Whatever
    // reads past the limit before checking it meets the damage first.
    const damaged = member.slice();
    damaged.fill(0xff, damaged.length >> 1, (damaged.length >> 1) + 64);
    expect(() => gunzipSync(damaged)).toThrow();
    expect(reason(() => inflateBounded(damaged, 'gzip', 128 * MB))).toBe('corrupt');
    expect(reason(() => inflateBounded(damaged, 'gzip', MB))).toBe('too-large');
    expect(reason(() => inflateBounded(damaged, 'gzip', 16 * MB))).toBe('too-large');
  });

  it('a replay bomb is refused by decodeReplay within 5 s, below the replay JSON limit in memory', () => {
    const tries = [0, 1, 2].map(() =>
      measure(() => {
        const r = decodeReplay(bomb);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.error).toMatch(/inflates to more than/);
      }),
    );
    // generous: a shared CI core; unbounded inflation takes ~10 s and ~256 MB (least of 3 tries, as above)
    expect(Math.min(...tries.map((m) => m.ms))).toBeLessThan(5000);
    expect(Math.min(...tries.map((m) => m.buffers))).toBeLessThan(MAX_REPLAY_JSON + 26 * MB);
  });

  it('a share-link bomb (4 MiB in a link-sized payload) opens the default experiment with a message', () => {
    const payload = Buffer.from(deflateSync(new Uint8Array(4 * MB).fill(32), { level: 9 })).toString(
      'base64url',
    );
    expect(payload.length).toBeLessThanOrEqual(MAX_LINK_PAYLOAD);
    const t0 = performance.now();
    const link = decodeShareFragment(`#x=${payload}`);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(link?.unreadable).toBe(true);
    expect(link?.warnings.join(' ')).toMatch(/expands to more than any experiment needs/);
  });
});
