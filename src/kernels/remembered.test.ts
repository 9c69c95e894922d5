/** remembered.ts: a builder runs once per distinct argument list, and only the latest results stay. */
import { describe, expect, it } from 'vitest';
import { remembered } from './remembered';

describe('remembered builders', () => {
  it('builds once per argument list, compared by value, and hands back the same object', () => {
    let builds = 0;
    const build = remembered((dims: { b: number; l: number }, mode?: string) => {
      builds++;
      return { key: `${dims.b}x${dims.l}${mode ?? ''}` };
    });
    const a = build({ b: 64, l: 1024 });
    expect(build({ b: 64, l: 1024 })).toBe(a);
    expect(builds).toBe(1);
    // another size, another mode: built anew
    expect(build({ b: 64, l: 82 }).key).toBe('64x82');
    expect(build({ b: 64, l: 1024 }, 'no-exp').key).toBe('64x1024no-exp');
    expect(builds).toBe(3);
  });

  it('keeps the most recently used results, the oldest going first', () => {
    let builds = 0;
    const build = remembered((n: number) => {
      builds++;
      return [n];
    }, 2);
    const one = build(1);
    build(2);
    // 1 used again: 2 is now the oldest and goes when 3 comes
    expect(build(1)).toBe(one);
    build(3);
    expect(builds).toBe(3);
    expect(build(1)).toBe(one);
    expect(builds).toBe(3);
    build(2);
    expect(builds).toBe(4);
  });
});
