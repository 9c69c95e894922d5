/**
 * The probe lab: the editable probe prompt, every model's answer to it, and the replay of saved
 * checkpoints (the scrubber). Owns the probe store; reads the experiment store (the prompt follows
 * the experiment), the live store (models, their live probes, resets) and the race controller (its
 * workers and their checkpoints).
 *
 * Live weights: after an edit (debounced), every training worker is probed with the edited prompt
 * (`race.probeModel`: the worker holds its loop for the probe only); while training, each new
 * probe a worker reports is followed by a fresh probe of the edited prompt, so the maps keep up.
 * Earlier weights: a checkpoint-probe worker of its own (src/workers/checkpoint-probe/), started when the scrubber
 * first leaves "live" and stopped when it comes back, loads the kept checkpoint of each model and
 * probes the same prompt; the training workers are never involved, so a race is never disturbed.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Experiment } from '../../schema/experiment';
import type { CheckpointProbeClient } from '../../workers/checkpoint-probe/client';
import type { CheckpointProbeOptionsInput } from '../../workers/checkpoint-probe/protocol';
import type { ProbePrompt, ProbeResult } from '../../workers/training/protocol';
import type { CheckpointNotice } from '../race/slots';
import { CheckpointHistory } from '../runs/checkpoint-history';
import type { ExperimentState } from '../stores/experiment-store';
import type { LiveState, ModelLive } from '../stores/live-store';
import {
  createDraft,
  type ProbeDraft,
  probePromptKey,
  type QueryReading,
  readQuery,
  sameTokens,
  targetText,
  toProbePrompt,
} from './probe-editor';

export interface ProbeView {
  result: ProbeResult;
  /** the step of the weights probed */
  step: number;
}

export type ReplayStatus = 'idle' | 'loading' | 'ready' | 'error';

export interface ProbeLabState {
  /** the experiment's seeded probe prompt (null: no valid experiment yet) */
  seeded: ProbeDraft | null;
  /** the prompt as edited (the seeded one until an edit) */
  draft: ProbeDraft | null;
  /** the draft differs from the seeded prompt */
  edited: boolean;
  /** each model's probe of the edited prompt on its current weights, by slot */
  edits: Record<number, ProbeView>;
  /** probes of the edited prompt in flight */
  probing: number;
  /** the last problem probing (null: none) */
  probeError: string | null;
  /** steps at which some model has a kept checkpoint, increasing */
  checkpointSteps: number[];
  /** the step replayed (null: the live weights) */
  replayStep: number | null;
  /** each model's probe at its kept checkpoint nearest replayStep, by slot */
  replays: Record<number, ProbeView>;
  replayStatus: ReplayStatus;
  replayError: string | null;
  /** Apply an edit to the draft (the models are probed after a short quiet time). */
  edit(change: (draft: ProbeDraft) => ProbeDraft): void;
  /** Back to the seeded probe prompt. */
  resetProbe(): void;
  /** Replay the checkpoints at `step` (null: back to the live weights). */
  setReplayStep(step: number | null): void;
}

/** What the probe lab needs of the race controller. */
export interface ProbeRace {
  onCheckpoint(listener: (c: CheckpointNotice) => void): () => void;
  readonly raceExperiment: Experiment | null;
  probeTargets(): Array<{ slot: number; index: number; modelKey: string }>;
  probeModel(
    slot: number,
    prompt: ProbePrompt,
  ): Promise<{ ok: true; result: ProbeResult; step: number } | { ok: false; error: string }>;
}

export interface ProbeLabDeps {
  experiment: StoreApi<ExperimentState>;
  live: StoreApi<LiveState>;
  race: ProbeRace;
  spawnReplay(): CheckpointProbeClient;
  replayOptions?: CheckpointProbeOptionsInput;
  /** quiet time after an edit before the models are probed (ms) */
  debounceMs?: number;
  history?: CheckpointHistory;
}

const historyKey = (index: number, modelKey: string) => `${index}:${modelKey}`;

// ------------------------------------------------------------------------------ selectors

export type ProbeSource = 'live' | 'edited' | 'replay';

export interface ShownProbe {
  result: ProbeResult | null;
  step: number | null;
  source: ProbeSource;
}

/** The probe a model's maps show: the replayed checkpoint, else the edited prompt, else the live one. */
/** What the selectors read of the probe store. */
export type ProbeShownState = Pick<ProbeLabState, 'draft' | 'edited' | 'edits' | 'replayStep' | 'replays'>;

export function shownProbe(
  s: ProbeShownState,
  m: Pick<ModelLive, 'slot' | 'probe' | 'probeStep'>,
): ShownProbe {
  if (s.replayStep !== null) {
    const r = s.replays[m.slot];
    return { result: r?.result ?? null, step: r?.step ?? null, source: 'replay' };
  }
  if (s.edited) {
    const r = s.edits[m.slot];
    return { result: r?.result ?? null, step: r?.step ?? null, source: 'edited' };
  }
  return { result: m.probe, step: m.probeStep, source: 'live' };
}

export interface PredictionRow {
  slot: number;
  arch: ModelLive['arch'];
  label: string;
  step: number | null;
  source: ProbeSource;
  /** null: no probe of this prompt yet */
  reading: QueryReading | null;
}

/** One row per model: its answer at the query of the shown prompt. */
export function predictionRows(
  s: ProbeShownState,
  models: ReadonlyArray<Pick<ModelLive, 'slot' | 'arch' | 'label' | 'probe' | 'probeStep'>>,
): PredictionRow[] {
  const draft = s.draft;
  return models.map((m) => {
    const shown = shownProbe(s, m);
    return {
      slot: m.slot,
      arch: m.arch,
      label: m.label,
      step: shown.step,
      source: shown.source,
      reading: draft && shown.result ? readQuery(draft, shown.result) : null,
    };
  });
}

/** The true answer at the query of the draft (null: no draft). */
export const queryTarget = (s: ProbeLabState): string | null => (s.draft ? targetText(s.draft) : null);

// ------------------------------------------------------------------------------ the controller

export class ProbeLab {
  readonly store: StoreApi<ProbeLabState>;
  private readonly d: ProbeLabDeps & { debounceMs: number };
  private readonly history: CheckpointHistory;
  private promptKey = '';
  private timer: ReturnType<typeof setTimeout> | null = null;
  private generation = 0;
  private inFlight = new Set<number>();
  private lastLiveStep = new Map<number, number | null>();
  private slotKeys = new Map<number, string>();
  private replay: CheckpointProbeClient | null = null;
  private replayConfigured: Experiment | null = null;
  private replayRunning: Promise<void> | null = null;
  private replayAgain = false;
  private runId: string | null = null;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(deps: ProbeLabDeps) {
    this.d = { debounceMs: 250, ...deps };
    this.history = deps.history ?? new CheckpointHistory();
    this.store = createStore<ProbeLabState>()(() => ({
      seeded: null,
      draft: null,
      edited: false,
      edits: {},
      probing: 0,
      probeError: null,
      checkpointSteps: [],
      replayStep: null,
      replays: {},
      replayStatus: 'idle',
      replayError: null,
      edit: (change) => this.edit(change),
      resetProbe: () => this.resetProbe(),
      setReplayStep: (step) => this.setReplayStep(step),
    }));
    this.followExperiment(deps.experiment.getState().experiment);
    this.unsubscribe.push(
      deps.experiment.subscribe((s, prev) => {
        if (s.experiment !== prev.experiment) this.followExperiment(s.experiment);
      }),
      deps.live.subscribe((s, prev) => {
        if (s.models !== prev.models || s.runId !== prev.runId) this.followLive(s);
      }),
      deps.race.onCheckpoint((c) => this.onCheckpoint(c)),
    );
  }

  private get state(): ProbeLabState {
    return this.store.getState();
  }

  // ---------------------------------------------------------------------------- the prompt

  private followExperiment(e: Experiment | null): void {
    if (!e) return;
    const key = probePromptKey(e);
    if (key === this.promptKey) return;
    this.promptKey = key;
    let seeded: ProbeDraft | null;
    try {
      seeded = createDraft(e);
    } catch {
      seeded = null;
    }
    this.generation++;
    this.store.setState({ seeded, draft: seeded, edited: false, edits: {}, probeError: null });
    // the kept checkpoints belong to the models of the old prompt's experiment
    this.history.clearAll();
    this.slotKeys.clear();
    this.store.setState({ checkpointSteps: [] });
    this.setReplayStep(null);
  }

  private edit(change: (draft: ProbeDraft) => ProbeDraft): void {
    const { draft, seeded } = this.state;
    if (!draft || !seeded) return;
    const next = change(draft);
    if (next === draft) return;
    const edited = !sameTokens(next, seeded);
    this.store.setState({ draft: next, edited, ...(edited ? {} : { edits: {} }) });
    this.schedule();
  }

  private resetProbe(): void {
    const { seeded } = this.state;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.store.setState({ draft: seeded, edited: false, edits: {}, probeError: null });
    if (this.state.replayStep !== null) this.requestReplay();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.state.replayStep !== null) this.requestReplay();
      else if (this.state.edited) this.probeAll();
    }, this.d.debounceMs);
  }

  // ---------------------------------------------------------------------------- live weights

  /** Probe every model (or `only`) with the edited prompt on its current weights. */
  probeAll(only?: readonly number[]): Promise<void> {
    const { draft, edited } = this.state;
    if (!draft || !edited) return Promise.resolve();
    const raced = this.d.race.raceExperiment;
    if (raced && probePromptKey(raced) !== this.promptKey) {
      // the workers are not yet on the experiment of this prompt: ask once they are
      this.schedule();
      return Promise.resolve();
    }
    const gen = this.generation;
    const targets = this.d.race.probeTargets().filter((t) => !only || only.includes(t.slot));
    const prompt = toProbePrompt(draft);
    return Promise.all(
      targets.map(async (t) => {
        this.inFlight.add(t.slot);
        this.store.setState((s) => ({ probing: s.probing + 1 }));
        try {
          const r = await this.d.race.probeModel(t.slot, prompt);
          if (gen !== this.generation || this.state.draft !== draft) return;
          if (r.ok) {
            this.store.setState((s) => ({
              edits: { ...s.edits, [t.slot]: { result: r.result, step: r.step } },
              probeError: null,
            }));
          } else {
            this.store.setState({ probeError: r.error });
          }
        } finally {
          this.inFlight.delete(t.slot);
          this.store.setState((s) => ({ probing: Math.max(0, s.probing - 1) }));
        }
      }),
    ).then(() => undefined);
  }

  private followLive(s: LiveState): void {
    if (s.runId !== this.runId) {
      // another run: its checkpoints are not those of the one before
      if (this.runId !== null) this.forgetCheckpoints();
      this.runId = s.runId;
    }
    const refresh: number[] = [];
    const present = new Set<number>();
    for (const m of s.models) {
      present.add(m.slot);
      // a model back at its initialisation (reset, rebuilt) has no checkpoints any more
      const key = this.slotKeys.get(m.slot);
      if (key && m.checkpointStep === null && this.history.stepsOf(key).length > 0) {
        this.history.clear(key);
        this.updateSteps();
      }
      const before = this.lastLiveStep.get(m.slot);
      if (before !== m.probeStep) {
        this.lastLiveStep.set(m.slot, m.probeStep);
        if (before !== undefined && !this.inFlight.has(m.slot)) refresh.push(m.slot);
      }
    }
    for (const slot of [...this.lastLiveStep.keys()]) if (!present.has(slot)) this.lastLiveStep.delete(slot);
    if (refresh.length && this.state.edited && this.state.replayStep === null && !this.timer) {
      void this.probeAll(refresh);
    }
  }

  // ---------------------------------------------------------------------------- checkpoints

  private onCheckpoint(c: CheckpointNotice): void {
    const key = historyKey(c.index, c.modelKey);
    this.slotKeys.set(c.slot, key);
    this.history.add(key, c.step, c.model);
    this.updateSteps();
  }

  private forgetCheckpoints(): void {
    this.history.clearAll();
    this.slotKeys.clear();
    this.updateSteps();
    this.setReplayStep(null);
  }

  private currentKeys(): string[] {
    return this.d.race.probeTargets().map((t) => historyKey(t.index, t.modelKey));
  }

  private updateSteps(): void {
    const steps = this.history.steps(this.currentKeys());
    const prev = this.state.checkpointSteps;
    if (steps.length === prev.length && steps.every((v, i) => v === prev[i])) return;
    this.store.setState({ checkpointSteps: steps });
  }

  // ---------------------------------------------------------------------------- replay

  private setReplayStep(step: number | null): void {
    if (step === null || !Number.isFinite(step)) {
      if (this.state.replayStep === null && !this.replay) return;
      this.store.setState({ replayStep: null, replays: {}, replayStatus: 'idle', replayError: null });
      this.stopReplay();
      // the edited prompt on the live weights again
      if (this.state.edited) void this.probeAll();
      return;
    }
    this.store.setState({ replayStep: step });
    this.requestReplay();
  }

  private stopReplay(): void {
    const client = this.replay;
    this.replay = null;
    this.replayConfigured = null;
    if (client) void client.dispose();
  }

  /** Run a replay now, or once more after the one running (the latest request wins). */
  private requestReplay(): void {
    if (this.replayRunning) {
      this.replayAgain = true;
      return;
    }
    this.replayRunning = this.runReplay().finally(() => {
      this.replayRunning = null;
      if (this.replayAgain) {
        this.replayAgain = false;
        this.requestReplay();
      }
    });
  }

  private async runReplay(): Promise<void> {
    const step = this.state.replayStep;
    const draft = this.state.draft;
    const e = this.d.race.raceExperiment;
    if (step === null || !draft) return;
    if (!e) {
      this.store.setState({
        replayStatus: 'error',
        replayError: 'Nothing to replay: no model has trained yet.',
      });
      return;
    }
    this.store.setState({ replayStatus: 'loading' });
    if (!this.replay || this.replay.stopped) {
      this.replay = this.d.spawnReplay();
      this.replayConfigured = null;
    }
    const client = this.replay;
    if (this.replayConfigured !== e) {
      const c = await client.configure(e, this.d.replayOptions);
      if (!c.ok) {
        this.store.setState({ replayStatus: 'error', replayError: c.error });
        return;
      }
      this.replayConfigured = e;
    }
    const prompt = toProbePrompt(draft);
    let error: string | null = null;
    for (const t of this.d.race.probeTargets()) {
      if (this.replayAgain || this.state.replayStep !== step || this.replay !== client) return;
      const entry = this.history.at(historyKey(t.index, t.modelKey), step);
      if (!entry) continue;
      const r = await client.probe({
        modelIndex: t.index,
        key: String(entry.serial),
        model: entry.model,
        prompt,
      });
      if (this.state.replayStep !== step || this.replay !== client) return;
      if (r.ok) {
        this.store.setState((s) => ({
          replays: { ...s.replays, [t.slot]: { result: r.result, step: r.step } },
        }));
      } else {
        error ??= r.error;
      }
    }
    if (this.replayAgain) return;
    this.store.setState({ replayStatus: error ? 'error' : 'ready', replayError: error });
  }

  /** Wait for the edits' probes and the replay in flight (tests). */
  async settled(): Promise<void> {
    while (this.replayRunning) await this.replayRunning;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const u of this.unsubscribe) u();
    this.stopReplay();
  }
}

// ------------------------------------------------------------------------------ the scrubber

/** The scrubber's position for a replayed step: its index in `steps`, or steps.length for live. */
export function scrubPosition(steps: readonly number[], replayStep: number | null): number {
  if (replayStep === null || steps.length === 0) return steps.length;
  let best = 0;
  for (let i = 0; i < steps.length; i++) if (steps[i] <= replayStep) best = i;
  return best;
}

/** The step at a scrubber position (null: live, the last position). */
export function stepAtPosition(steps: readonly number[], position: number): number | null {
  if (!Number.isInteger(position) || position < 0 || position >= steps.length) return null;
  return steps[position];
}
