/**
 * The lesson being given: which lesson, which step, the measured sentence of each step and the
 * present layout. Stepping opens the step's recording in the recorded-run player at once (live
 * training is an option); the recordings' outcomes are measured here from their curves (fetched
 * and decoded once each, src/app/lesson/lesson.ts). Nothing here touches the DOM: the page gives
 * the player, the fetch and the address (src/app/lesson/lesson-instance.ts).
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { decodeReplay, parseReplayIndex, type ReplayIndexEntry } from '../../formats/replay';
import type { ViewLink } from '../../formats/share-link';
import { type Table1, table1Schema } from '../../formats/table1';
import {
  buildLesson,
  clampStep,
  type Lesson,
  lessonById,
  type MeasuredRun,
  measureReplay,
  stepSentence,
} from './lesson';

export interface LessonState {
  /** the lesson shown (null: none open) */
  lesson: Lesson | null;
  /** 0-based */
  step: number;
  status: 'idle' | 'loading' | 'ready' | 'error';
  error: string | null;
  /** the measured outcomes of each recording, by file, as they arrive */
  measured: ReadonlyMap<string, MeasuredRun>;
  /** the present layout (the step's chart full width, large type) */
  present: boolean;
  open(id?: string, step?: number): Promise<void>;
  goTo(step: number): void;
  next(): void;
  previous(): void;
  close(): void;
  setPresent(on: boolean): void;
  /** Leave the recording and train the step's task and models live. */
  trainLive(): void;
}

export interface LessonDeps {
  /** the bytes at a URL (rejects with a readable Error) */
  fetchBytes(url: string): Promise<Uint8Array>;
  /** the folder of the recordings and their index.json, ending in '/' */
  replaysUrl: string;
  /** the Table 1 file (optional: absent or unreadable, the lesson rests on the recordings) */
  table1Url?: string;
  /** play a recording at once */
  play(file: string): void;
  /** stop the recording (the player puts back what was there before it) */
  stopPlaying(): void;
  /** show a task with these models and start training them */
  train(task: string, archs: readonly string[]): void;
  /** the address now shows this view (null: the lesson was closed) */
  showView(view: ViewLink | null): void;
}

export const DEFAULT_LESSON = 'mamba-icl';

export function createLessonController(deps: LessonDeps): StoreApi<LessonState> {
  const pending = new Map<string, Promise<void>>();
  let generation = 0;
  const store = createStore<LessonState>()((set, get) => {
    const measure = (entry: ReplayIndexEntry): Promise<void> => {
      const known = pending.get(entry.file);
      if (known) return known;
      const p = deps
        .fetchBytes(`${deps.replaysUrl}${entry.file}`)
        .then((bytes) => {
          const read = decodeReplay(bytes);
          if (!read.ok) throw new Error(read.error);
          const measured = new Map(get().measured);
          measured.set(entry.file, measureReplay(entry.title, read.replay));
          set({ measured });
        })
        .catch((e: Error) => {
          pending.delete(entry.file);
          set({ error: `The recorded run "${entry.title}" could not be measured: ${e.message}` });
        });
      pending.set(entry.file, p);
      return p;
    };
    const show = (step: number) => {
      const lesson = get().lesson;
      if (!lesson || lesson.steps.length === 0) return;
      const n = clampStep(lesson, step);
      const s = lesson.steps[n];
      set({ step: n });
      deps.showView({ kind: 'lesson', lesson: lesson.id, step: n });
      if (s.recording) deps.play(s.recording.file);
      else deps.stopPlaying();
      for (const r of s.compares.length ? s.compares : s.recording ? [s.recording] : []) void measure(r);
    };
    return {
      lesson: null,
      step: 0,
      status: 'idle',
      error: null,
      measured: new Map(),
      present: false,
      async open(id = DEFAULT_LESSON, step = 0) {
        const gen = ++generation;
        const def = lessonById(id);
        if (!def) {
          set({ status: 'error', error: `There is no lesson "${id.slice(0, 40)}".` });
          return;
        }
        set({ status: 'loading', error: null });
        try {
          const bytes = await deps.fetchBytes(`${deps.replaysUrl}index.json`);
          const parsed = parseReplayIndex(JSON.parse(new TextDecoder().decode(bytes)));
          if (!parsed.ok) throw new Error(parsed.error);
          let table1: Table1 | null = null;
          if (deps.table1Url) {
            try {
              const t = await deps.fetchBytes(deps.table1Url);
              const r = table1Schema.safeParse(JSON.parse(new TextDecoder().decode(t)));
              table1 = r.success ? r.data : null;
            } catch {
              table1 = null; // no Table 1 file installed: the recordings alone
            }
          }
          if (gen !== generation) return;
          const lesson = buildLesson(def, parsed.index.replays, table1);
          if (lesson.steps.length === 0)
            throw new Error('no recorded runs or Table 1 results are installed for it');
          set({ lesson, status: 'ready' });
          show(step);
        } catch (e) {
          if (gen !== generation) return;
          set({ status: 'error', error: `The lesson could not be opened: ${(e as Error).message}.` });
        }
      },
      goTo: (step) => show(step),
      next: () => show(get().step + 1),
      previous: () => show(get().step - 1),
      close() {
        generation++;
        if (!get().lesson) return;
        set({ lesson: null, step: 0, status: 'idle', present: false, error: null });
        deps.stopPlaying();
        deps.showView(null);
      },
      setPresent: (on) => set({ present: on }),
      trainLive() {
        const lesson = get().lesson;
        const s = lesson?.steps[get().step];
        const task = s?.task ?? s?.recording?.task;
        if (!task) return;
        deps.stopPlaying();
        deps.train(task, s?.recording?.models ?? []);
      },
    };
  });
  return store;
}

/** The measured sentence of the step shown (null while its recordings are being measured). */
export function currentSentence(s: Pick<LessonState, 'lesson' | 'step' | 'measured'>): string | null {
  const step = s.lesson?.steps[s.step];
  return step ? stepSentence(step, s.measured) : null;
}
