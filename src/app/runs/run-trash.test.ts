import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRunTrash } from './run-trash';

describe('createRunTrash', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('deletes a removed run after the delay', () => {
    const commit = vi.fn();
    const trash = createRunTrash({ commit, delayMs: 1000 });
    trash.remove('a', 'run a');
    expect(trash.store.getState().pending).toEqual([{ id: 'a', label: 'run a' }]);
    vi.advanceTimersByTime(999);
    expect(commit).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(commit).toHaveBeenCalledExactlyOnceWith('a');
    expect(trash.store.getState().pending).toEqual([]);
  });

  it('undo keeps the run', () => {
    const commit = vi.fn();
    const trash = createRunTrash({ commit, delayMs: 1000 });
    trash.remove('a', 'run a');
    trash.remove('b', 'run b');
    trash.undo('a');
    expect(trash.store.getState().pending.map((p) => p.id)).toEqual(['b']);
    vi.advanceTimersByTime(5000);
    expect(commit.mock.calls).toEqual([['b']]);
  });

  it('removing twice deletes once; flush deletes everything pending now', () => {
    const commit = vi.fn();
    const trash = createRunTrash({ commit, delayMs: 1000 });
    trash.remove('a', 'run a');
    trash.remove('a', 'run a');
    trash.remove('b', 'run b');
    trash.flush();
    expect(commit.mock.calls).toEqual([['a'], ['b']]);
    vi.advanceTimersByTime(5000);
    expect(commit).toHaveBeenCalledTimes(2);
    expect(trash.store.getState().pending).toEqual([]);
  });
});
