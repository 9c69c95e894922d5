/**
 * The page's lesson controller, wired to the recorded-run player, the race, the experiment store
 * and the address (src/app/lesson/lesson-controller.ts), and the opener of view links: a link
 * `#lesson=<id>&step=<n>` opens that lesson step, `#replay=<file>` plays that recorded run.
 */
import { useStore } from 'zustand';
import { ARCHITECTURES } from '../../schema/architecture';
import { experimentStore, race } from '../index';
import { fetchBounded } from '../recordings/fetch-bounded';
import { replayStore } from '../recordings/replay-player-instance';
import { setViewOpener, urlSync } from '../share/share';
import { createLessonController, type LessonState } from './lesson-controller';

const here = (path: string) => (typeof location === 'undefined' ? path : new URL(path, location.href).href);

export const lessonStore = createLessonController({
  fetchBytes: (url) => fetchBounded(url),
  replaysUrl: here('replays/'),
  table1Url: here('table1.json'),
  play: (file) => void replayStore.getState().start(file),
  stopPlaying: () => replayStore.getState().stop(),
  train(task, archs) {
    const e = experimentStore.getState();
    e.setTask(task as Parameters<typeof e.setTask>[0]);
    if (archs.length)
      for (const a of ARCHITECTURES) experimentStore.getState().toggleArch(a, archs.includes(a));
    void race.train();
  },
  showView: (view) => {
    if (view) void urlSync.shareView(view, undefined, false);
    else urlSync.clearView();
  },
});

setViewOpener((view) => {
  if (view.kind === 'lesson') void lessonStore.getState().open(view.lesson, view.step);
  else void replayStore.getState().start(view.file);
});

export const useLesson = <T>(selector: (s: LessonState) => T): T => useStore(lessonStore, selector);

/** The present layout is on (a lesson open and presented). */
export const usePresent = (): boolean => useLesson((s) => s.present && s.lesson !== null);
