/**
 * Derived views of the stores for the components (pure functions of the state).
 */
import { captionOf } from '../../eval/caption';
import type { LiveEvaluation } from '../../eval/live-evaluations';
import { isAccuracyMetric } from '../../eval/score';
import type { IclCurveSet } from '../../eval/types';
import { ARCHITECTURE_TITLES } from '../../schema/architecture';
import { baselinesRequestKey } from '../../workers/baselines/protocol';
import type { BaselinesView, LabState } from './lab-store';
import type { ModelLive } from './live-store';

export const cardOf = (s: LabState, task: string) => s.gallery.find((c) => c.name === task) ?? s.gallery[0];

export const shownBaselines = (s: LabState): BaselinesView =>
  s.request ? (s.baselines[baselinesRequestKey(s.request)] ?? { status: 'idle' }) : { status: 'idle' };

/**
 * What a live run shows so far, in the words of the recordings' captions (src/eval/caption.ts):
 * each model's level over the in-context regime, its verdict and since which evaluation it holds.
 * Error tasks wait for their baselines (the zero predictor and the reference are measured on the
 * same prompts, never assumed); accuracy tasks need none (chance is the task's). '' when nothing
 * can be said yet.
 */
export function liveCaption(
  labels: readonly string[],
  histories: readonly (readonly LiveEvaluation[] | undefined)[],
  baselines: IclCurveSet | null,
  seed: number,
): string {
  const models = labels.map((label, i) => ({ label, evaluations: histories[i] ?? [] }));
  const first = models.find((m) => m.evaluations.length > 0)?.evaluations[0]?.sets[0];
  if (!first) return '';
  if (!baselines && !isAccuracyMetric(first.metric)) return '';
  return captionOf(models, baselines, seed);
}

/** The status line under the chart. */
export function baselinesStatusText(view: BaselinesView, prompts: number): string {
  switch (view.status) {
    case 'idle':
      return '';
    case 'computing': {
      const pct = view.total > 0 ? Math.floor((100 * view.done) / view.total) : 0;
      const what = view.label ? ` (${view.label})` : '';
      return `Computing baselines on ${prompts} prompts… ${pct} %${what}`;
    }
    case 'done': {
      const n = view.curves.curves.length;
      if (n === 0) return 'Baselines ready: none apply to this task.';
      const secs = (view.elapsedMs / 1000).toFixed(1);
      return `Baselines ready: ${n} curve${n === 1 ? '' : 's'} on ${view.curves.prompts} prompts (seed ${view.curves.seed}, ${secs} s).`;
    }
    case 'error':
      return 'Baselines could not be computed.';
  }
}

/** "1m 20s", "45s", "2h 5m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
}

const STATE_WORDS: Record<ModelLive['state'], string> = {
  starting: 'starting',
  ready: 'ready',
  training: 'training',
  paused: 'paused',
  diverged: 'paused (diverged)',
  done: 'done',
  failed: 'failed',
  crashed: 'stopped (worker crashed)',
};

/** One model's status line: "Mamba: step 120 / 3000 · 14.2 steps/s · webgpu · ETA 1m · training". */
export function modelStatusText(m: ModelLive, pausing = false): string {
  const title = ARCHITECTURE_TITLES[m.arch] ?? m.label;
  const parts = [`${title}: step ${m.step}${m.totalSteps ? ` / ${m.totalSteps}` : ''}`];
  // Pause pressed: said at once, while the worker finishes the step in flight
  const stopping = pausing && m.state === 'training';
  const training = m.state === 'training' && !stopping;
  if (training) parts.push(`${m.stepsPerSecond.toFixed(1)} steps/s`);
  parts.push(m.backend ? m.backend.name : 'choosing backend');
  if (training && m.etaSeconds !== null) parts.push(`ETA ${formatDuration(m.etaSeconds)}`);
  parts.push(stopping ? 'pausing (finishing the step in flight)' : STATE_WORDS[m.state]);
  return parts.join(' · ');
}
