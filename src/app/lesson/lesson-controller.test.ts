import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ViewLink } from '../../formats/share-link';
import { createLessonController, currentSentence } from './lesson-controller';

const DIR = new URL('../../../public/replays/', import.meta.url);

function setup(files: Record<string, Uint8Array | null> = {}) {
  const played: string[] = [];
  const views: Array<ViewLink | null> = [];
  const trained: Array<[string, readonly string[]]> = [];
  let stopped = 0;
  const controller = createLessonController({
    replaysUrl: 'r/',
    table1Url: 'table1.json',
    fetchBytes: async (url) => {
      if (url in files) {
        const b = files[url];
        if (!b) throw new Error('404');
        return b;
      }
      if (!url.startsWith('r/')) throw new Error('404');
      return new Uint8Array(readFileSync(new URL(url.slice(2), DIR)));
    },
    play: (f) => played.push(f),
    stopPlaying: () => stopped++,
    train: (task, archs) => trained.push([task, archs]),
    showView: (v) => views.push(v),
  });
  return { controller, s: () => controller.getState(), played, views, trained, stopped: () => stopped };
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('the lesson controller', () => {
  it('opens at a step, plays its recording, computes its sentence, steps within bounds', async () => {
    const t = setup();
    await t.s().open('mamba-icl', 1);
    expect(t.s().status).toBe('ready');
    const steps = t.s().lesson!.steps;
    expect(t.played).toEqual([steps[1].recording!.file]);
    expect(t.views.at(-1)).toEqual({ kind: 'lesson', lesson: 'mamba-icl', step: 1 });
    await settle();
    expect(currentSentence(t.s())).toMatch(/^Look at the accuracy over /);
    t.s().previous();
    t.s().previous();
    expect(t.s().step).toBe(0);
    for (let i = 0; i < 10; i++) t.s().next();
    expect(t.s().step).toBe(steps.length - 1);
    await settle();
    expect(currentSentence(t.s())).toMatch(/^Across \d recordings: /);
    // live training of a step: the recording stops, its task and models are trained
    t.s().goTo(0);
    t.s().trainLive();
    expect(t.trained).toEqual([[steps[0].task, steps[0].recording!.models]]);
    t.s().close();
    expect(t.s().lesson).toBeNull();
    expect(t.views.at(-1)).toBeNull();
    expect(t.stopped()).toBe(2);
  });

  it('says why a lesson cannot open', async () => {
    const t = setup({ 'r/index.json': null });
    await t.s().open();
    expect(t.s().status).toBe('error');
    expect(t.s().error).toMatch(/could not be opened: 404/);
    await t.s().open('nope');
    expect(t.s().error).toBe('There is no lesson "nope".');
  });
});
