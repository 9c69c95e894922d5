/**
 * "Watch a recorded run": plays a replay (src/formats/replay.ts, from public/replays/) into the same
 * stores the live race feeds, so every chart (loss, ICL curves, recall, attention, SSM state) works
 * unchanged, on a device too weak to train. No worker and no tfjs: the replay is data.
 *
 * Playback moves a position over the run's steps at a fixed rate (the whole run in `durationS`
 * seconds, redrawn every `tickMs`); at position s each model shows its loss buckets that end by s,
 * its latest evaluation (ICL curves, recall) at or before s and its latest probe at or before s.
 * Starting a replay claims the live store (src/app/stores/live-writer.ts: the race, holding it,
 * is released and stops its workers; its run stays saved) and shows the replay's experiment;
 * pressing Train afterwards (the race claims the store back: the player is released) or changing
 * the experiment ends the replay.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { LossSeries } from '../../eval/loss-series';
import {
  decodeReplay,
  parseReplayIndex,
  type Replay,
  type ReplayIndexEntry,
  type ReplayModel,
} from '../../formats/replay';
import { replayCaption } from '../../formats/replay-combine';
import { ARCHITECTURE_TITLES, type Architecture } from '../../schema/architecture';
import type { Experiment } from '../../schema/experiment';
import { lessonSettingsNote } from '../../train/run-settings';
import type { BackendReport } from '../../workers/backend-types';
import { isBackendName } from '../../workers/backend-types';
import { baselinesRequestKey } from '../../workers/baselines/protocol';
import type { ExperimentDraft, ExperimentState } from '../stores/experiment-store';
import { baselinesRequestFor, type LabState } from '../stores/lab-store';
import { type LiveState, type ModelLive, newModelLive } from '../stores/live-store';
import { type LiveOwner, LiveWriter } from '../stores/live-writer';

export type PlayerStatus = 'idle' | 'loading' | 'playing' | 'paused' | 'error';

export interface ReplayPlayerState {
  status: PlayerStatus;
  /** the recorded runs on offer (null: not loaded yet) */
  index: ReplayIndexEntry[] | null;
  /** the replay shown (or being loaded) */
  entry: ReplayIndexEntry | null;
  /** the position, in training steps */
  step: number;
  totalSteps: number;
  /** what went wrong (shown with role "alert") */
  error: string | null;
  /** the task asked for that has no recording (its recordings are never replaced by another task's) */
  missing: string | null;
  /** the caption generated from the replay's curves (src/formats/replay-combine.ts; '' without evaluations) */
  caption: string | null;
  /** when the recording was made at other settings than its task's lesson preset: which (null: same) */
  settingsNote: string | null;
  /** the architecture the replay was opened at (e.g. from a Table 1 cell), null: none */
  focus: Architecture | null;
  /**
   * Load the list (once) and play `file`; without one, the recording of the current task (none:
   * `missing` says so, nothing else plays). `focus`: the architecture to point out.
   */
  start(file?: string, focus?: Architecture): Promise<void>;
  /** Play the recording of `task` (at `focus`); none: `missing` names the task and nothing plays. */
  startTask(task: string, focus?: Architecture): Promise<void>;
  /** a change of seed the recording made or undid (shown with role "status"), null: none */
  seedNotice: string | null;
  play(): void;
  pause(): void;
  /** Move to a step (clamped); playing goes on from there. */
  seek(step: number): void;
  /** End the replay, clear the charts and put back the task, models and seed of before it. */
  stop(): void;
  dismissSeedNotice(): void;
}

export interface ReplayPlayerDeps {
  live: StoreApi<LiveState>;
  lab: StoreApi<LabState>;
  experiment: StoreApi<ExperimentState>;
  /** who writes the live store (the race, or this player); one of its own when absent */
  writer?: LiveWriter;
  /** the bytes at a URL (rejects with a readable Error on HTTP errors) */
  fetchBytes(url: string): Promise<Uint8Array>;
  /** the folder of the replays and their index.json, ending in '/' */
  baseUrl: string;
  /** seconds the whole run takes to play (default 30) */
  durationS?: number;
  /** ms between redraws (default 100) */
  tickMs?: number;
  setInterval?: (fn: () => void, ms: number) => ReturnType<typeof setInterval>;
  clearInterval?: (id: ReturnType<typeof setInterval>) => void;
}

/** The live stores' slots of a replay's models (apart from the race's, which count from 1). */
export const REPLAY_SLOT_BASE = 1_000_000;

/** A plain file name (the index and a ?replay= link may name nothing else). */
export const isReplayFileName = (s: string): boolean =>
  /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s) && s.length <= 200;

// ------------------------------------------------------------------------------ frames (pure)

export interface ModelFrame {
  loss: LossSeries;
  lastLoss: number | null;
  /** index of the evaluation shown (-1: none yet) */
  evaluation: number;
  /** index of the probe shown (-1: none yet) */
  probe: number;
  step: number;
}

/** Last index i with steps[i] <= step (-1 when none). */
export function lastAtOrBefore(steps: ArrayLike<number>, step: number): number {
  let lo = 0;
  let hi = steps.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] <= step) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** What model `m` shows at position `step`. */
export function modelFrame(m: ReplayModel, step: number): ModelFrame {
  const { width, x, y } = m.loss;
  // buckets that end by `step` (the last one once the model's training is over)
  const done = step >= m.steps ? x.length : lastAtOrBefore(x, step - width) + 1;
  const xs = x.slice(0, done);
  const ys = y.slice(0, done);
  let lastLoss: number | null = null;
  for (let i = ys.length - 1; i >= 0; i--) {
    if (Number.isFinite(ys[i])) {
      lastLoss = ys[i];
      break;
    }
  }
  return {
    loss: { x: xs, y: ys, width, open: null, end: done > 0 ? xs[done - 1] + width : 0 },
    lastLoss,
    evaluation: lastAtOrBefore(
      m.evaluations.map((e) => e.step),
      step,
    ),
    probe: lastAtOrBefore(
      m.probes.map((p) => p.step),
      step,
    ),
    step: Math.min(step, m.steps),
  };
}

/** The backend a run was recorded on, e.g. 'webgpu (nvidia ...; fused kernels)' -> webgpu. */
export function recordedBackend(text: string): BackendReport | null {
  const name = /^[a-z]+/.exec(text)?.[0];
  if (!isBackendName(name)) return null;
  return {
    name,
    attempts: [{ name, ok: true }],
    fallback: false,
    detail: text,
    summary: `${text} (recorded run)`,
  };
}

/** The replay's status line: "Recorded run · step 120 / 300 · playing". */
export function replayStatusText(s: Pick<ReplayPlayerState, 'status' | 'step' | 'totalSteps'>): string {
  switch (s.status) {
    case 'loading':
      return 'Loading the recorded run…';
    case 'playing':
    case 'paused': {
      const where = `Recorded run · step ${s.step} / ${s.totalSteps}`;
      if (s.status === 'playing') return `${where} · playing`;
      return `${where} · ${s.step >= s.totalSteps ? 'at the end' : 'paused'}`;
    }
    default:
      return '';
  }
}

/** A model's status line while a recording plays: "Mamba: step 1200 / 4000 · webgpu · recorded". */
export function recordedModelStatus(
  m: Pick<ModelLive, 'arch' | 'label' | 'step' | 'totalSteps' | 'backend' | 'state'>,
): string {
  const title = ARCHITECTURE_TITLES[m.arch] ?? m.label;
  const parts = [`${title}: step ${m.step}${m.totalSteps ? ` / ${m.totalSteps}` : ''}`];
  parts.push(m.backend ? m.backend.name : 'backend unknown');
  parts.push(m.state === 'diverged' ? 'recorded (diverged)' : 'recorded');
  return parts.join(' · ');
}

// ------------------------------------------------------------------------------ the player

/** What the player's state says once a replay has ended. */
const ENDED = {
  status: 'idle',
  step: 0,
  totalSteps: 0,
  error: null,
  caption: null,
  settingsNote: null,
  focus: null,
} as const;

export class ReplayPlayer {
  readonly store: StoreApi<ReplayPlayerState>;
  private readonly d: Required<Omit<ReplayPlayerDeps, 'setInterval' | 'clearInterval' | 'writer'>> &
    Pick<ReplayPlayerDeps, 'setInterval' | 'clearInterval'>;
  private readonly writer: LiveWriter;
  /** the player as a writer of the live store: released when the race takes it back */
  private readonly owner: LiveOwner = { name: 'recording', release: () => this.end(false) };
  private replay: Replay | null = null;
  /** the experiment the replay loaded into the experiment store */
  private shown: Experiment | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private position = 0;
  /** per model: the frame indices last written (to keep the stores' objects when nothing changed) */
  private written: Array<{ loss: number; evaluation: number; probe: number; step: number }> = [];
  private generation = 0;
  /** the experiment draft before the first recording was shown (put back by Stop watching) */
  private before: ExperimentDraft | null = null;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(deps: ReplayPlayerDeps) {
    this.d = { durationS: 30, tickMs: 100, ...deps };
    this.writer = deps.writer ?? new LiveWriter(deps.live);
    this.store = createStore<ReplayPlayerState>()(() => ({
      status: 'idle',
      index: null,
      entry: null,
      step: 0,
      totalSteps: 0,
      error: null,
      missing: null,
      caption: null,
      settingsNote: null,
      focus: null,
      start: (file, focus) => this.start(file, focus),
      startTask: (task, focus) => this.startTask(task, focus),
      seedNotice: null,
      play: () => this.play(),
      pause: () => this.pause(),
      seek: (step) => this.seek(step),
      stop: () => this.stop(),
      dismissSeedNotice: () => this.store.setState({ seedNotice: null }),
    }));
    this.unsubscribe.push(
      deps.experiment.subscribe((s, before) => {
        if (this.replay && this.shown && s.experiment !== this.shown) this.end(true);
        // "No recording of <task>" is about the task asked for: choosing another task clears it
        if (this.state.missing !== null && s.draft.task !== before.draft.task)
          this.store.setState({ missing: null });
      }),
    );
  }

  private get state(): ReplayPlayerState {
    return this.store.getState();
  }

  private async loadIndex(): Promise<ReplayIndexEntry[]> {
    const known = this.state.index;
    if (known) return known;
    let json: unknown;
    try {
      const bytes = await this.d.fetchBytes(`${this.d.baseUrl}index.json`);
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new Error(`The list of recorded runs could not be loaded: ${(e as Error).message}.`);
    }
    const parsed = parseReplayIndex(json);
    if (!parsed.ok) throw new Error(parsed.error);
    this.store.setState({ index: parsed.index.replays });
    return parsed.index.replays;
  }

  private async startTask(task: string, focus?: Architecture): Promise<void> {
    const gen = ++this.generation;
    let index: ReplayIndexEntry[];
    try {
      index = await this.loadIndex();
    } catch (e) {
      if (gen !== this.generation) return;
      this.clearTimer();
      this.store.setState({ status: 'error', error: (e as Error).message, missing: null });
      return;
    }
    if (gen !== this.generation) return;
    const entry = index.find((r) => r.task === task);
    // no recording of this task: say so, and never play another task's instead
    if (!entry) {
      const loading = this.state.status === 'loading';
      this.store.setState({
        missing: task,
        error: null,
        ...(loading ? { status: this.replay ? 'paused' : 'idle' } : {}),
      });
    } else await this.start(entry.file, focus);
  }

  private async start(file?: string, focus?: Architecture): Promise<void> {
    if (file === undefined) return this.startTask(this.d.experiment.getState().draft.task, focus);
    const gen = ++this.generation;
    this.clearTimer();
    this.store.setState({ status: 'loading', error: null, missing: null, focus: focus ?? null });
    try {
      if (!isReplayFileName(file)) {
        throw new Error(`"${file.slice(0, 80)}" is not the name of a recorded run.`);
      }
      // a file named by a link need not be listed; otherwise pick from the list
      let index: ReplayIndexEntry[] = [];
      try {
        index = await this.loadIndex();
      } catch {
        // a file named by a link is played even without the list
      }
      if (gen !== this.generation) return;
      const entry = index.find((r) => r.file === file) ?? null;
      const name = entry?.file ?? file;
      this.store.setState({ entry });
      let bytes: Uint8Array;
      try {
        bytes = await this.d.fetchBytes(`${this.d.baseUrl}${name}`);
      } catch (e) {
        throw new Error(`The recorded run "${name}" could not be loaded: ${(e as Error).message}.`);
      }
      if (gen !== this.generation) return;
      const read = decodeReplay(bytes);
      if (!read.ok) throw new Error(read.error);
      await this.writer.claim(this.owner);
      if (gen !== this.generation) return;
      if (!this.replay) this.before = this.d.experiment.getState().draft;
      this.show(read.replay);
      this.play();
    } catch (e) {
      if (gen !== this.generation) return;
      this.store.setState({ status: 'error', error: (e as Error).message });
    }
  }

  /** Put the replay's experiment, baselines and models into the page's stores. */
  private show(replay: Replay): void {
    const e = replay.experiment;
    if (replay.baselines) {
      const key = baselinesRequestKey(baselinesRequestFor(e));
      const baselines = replay.baselines;
      this.d.lab.setState((s) => ({
        baselines: { ...s.baselines, [key]: { status: 'done', curves: baselines, elapsedMs: 0 } },
      }));
    }
    // (loading the experiment must not look like the user changing it)
    this.shown = null;
    this.replay = replay;
    this.written = replay.models.map(() => ({ loss: -1, evaluation: -2, probe: -2, step: -1 }));
    const seedBefore = this.d.experiment.getState().draft.seed;
    this.d.experiment.getState().load(e);
    this.shown = this.d.experiment.getState().experiment;
    this.store.setState({
      seedNotice:
        seedBefore === e.seed
          ? null
          : `The recorded run uses seed ${e.seed}; the page had seed ${seedBefore}. Stop watching puts seed ${seedBefore} back.`,
    });
    const backend = recordedBackend(replay.backend);
    this.writer.dispatch(this.owner, {
      type: 'show-models',
      models: replay.models.map((m, i) => ({
        ...newModelLive(REPLAY_SLOT_BASE + i, m.index, m.arch, ARCHITECTURE_TITLES[m.arch] ?? m.label),
        state: 'paused',
        totalSteps: replay.totalSteps,
        lr: e.optimizer.lr ?? 0,
        backend,
      })),
    });
    this.position = 0;
    this.store.setState({
      totalSteps: replay.totalSteps,
      step: 0,
      error: null,
      caption: replayCaption(replay),
      settingsNote: lessonSettingsNote(replay.experiment),
    });
    this.apply();
  }

  /** Write the frame at the current position into the live store (only what changed). */
  private apply(): void {
    const replay = this.replay;
    if (!replay) return;
    const step = Math.min(replay.totalSteps, Math.floor(this.position));
    const playing = this.state.status === 'playing';
    const shown = this.d.live.getState().models;
    const patches = shown.map((live, i): Partial<ModelLive> | null => {
      const m = replay.models[i];
      if (!m) return null;
      const f = modelFrame(m, step);
      const w = this.written[i];
      const patch: Partial<ModelLive> = {};
      if (f.loss.x.length !== w.loss) {
        patch.loss = f.loss;
        patch.lastLoss = f.lastLoss;
        w.loss = f.loss.x.length;
      }
      if (f.evaluation !== w.evaluation) {
        const ev = f.evaluation >= 0 ? m.evaluations[f.evaluation] : null;
        patch.curves = ev?.sets ?? null;
        patch.curvesStep = ev?.step ?? null;
        patch.recall = ev?.recall ?? null;
        w.evaluation = f.evaluation;
      }
      if (f.probe !== w.probe) {
        const p = f.probe >= 0 ? m.probes[f.probe] : null;
        patch.probe = p?.result ?? null;
        patch.probeStep = p?.step ?? null;
        w.probe = f.probe;
      }
      const ended = step >= m.steps;
      const state: ModelLive['state'] = ended ? (m.diverged ? 'diverged' : 'done') : 'paused';
      if (f.step !== w.step || state !== live.state) {
        patch.step = f.step;
        patch.state = state;
        patch.stepsPerSecond = playing ? replay.totalSteps / this.d.durationS : 0;
        w.step = f.step;
      }
      return patch;
    });
    this.writer.dispatch(this.owner, { type: 'patch-models', patches });
    if (this.state.step !== step) this.store.setState({ step });
  }

  private tick(): void {
    const replay = this.replay;
    if (!replay) return;
    this.position += (replay.totalSteps * this.d.tickMs) / (this.d.durationS * 1000);
    if (this.position >= replay.totalSteps) {
      this.position = replay.totalSteps;
      this.clearTimer();
      this.store.setState({ status: 'paused' });
    }
    this.apply();
  }

  private play(): void {
    if (!this.replay) return;
    if (this.position >= this.replay.totalSteps) this.position = 0;
    this.clearTimer();
    const every = this.d.setInterval ?? ((fn, ms) => setInterval(fn, ms));
    this.timer = every(() => this.tick(), this.d.tickMs);
    this.store.setState({ status: 'playing' });
    this.apply();
  }

  private pause(): void {
    if (!this.replay) return;
    this.clearTimer();
    this.store.setState({ status: 'paused' });
  }

  private seek(step: number): void {
    if (!this.replay || !Number.isFinite(step)) return;
    this.position = Math.max(0, Math.min(this.replay.totalSteps, Math.round(step)));
    this.apply();
  }

  private stop(): void {
    this.generation++;
    const before = this.before;
    if (this.replay) this.end(true);
    else this.store.setState({ status: 'idle', error: null, missing: null });
    if (!before) return;
    const seedShown = this.d.experiment.getState().draft.seed;
    this.d.experiment.getState().restore(before);
    this.store.setState({
      seedNotice:
        seedShown === before.seed
          ? null
          : `Back to seed ${before.seed} (the recorded run had seed ${seedShown}).`,
    });
  }

  /** The replay is over: forget it; clear its models from the charts unless someone else took over. */
  private end(clearModels: boolean): void {
    this.clearTimer();
    this.replay = null;
    this.before = null;
    this.shown = null;
    if (clearModels) this.writer.dispatch(this.owner, { type: 'clear-models' });
    this.writer.leave(this.owner);
    this.store.setState(ENDED);
  }

  private clearTimer(): void {
    if (this.timer === null) return;
    (this.d.clearInterval ?? ((id) => clearInterval(id)))(this.timer);
    this.timer = null;
  }

  dispose(): void {
    this.clearTimer();
    for (const u of this.unsubscribe) u();
  }
}
