/**
 * Derived views of the store for the components (pure functions of the state).
 */
import type { BaselinesView, LabState } from './lab-store';

export const selectedCard = (s: LabState) => s.gallery.find((c) => c.name === s.selectedTask) ?? s.gallery[0];

export const selectedBaselines = (s: LabState): BaselinesView =>
  s.baselines[s.selectedTask] ?? { status: 'idle' };

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
