/**
 * "Shows at ~N steps, about M minutes on this device for these models": the lesson's length before
 * Train, from the device probe's measured step time of each model (src/workers/training/measure.ts)
 * and the steps the verdict needs (the Table 1 sweep's steps to the verdict when the page has it,
 * else the experiment's steps: the preset's). Pure.
 */
import { seedsCounted, type Table1 } from '../../formats/table1';

/** Over this many minutes, the page offers a recorded run and fewer models. */
export const LONG_LESSON_MINUTES = 10;

export interface EstimateInput {
  /** ms of one training step of each model alone on this device (null: not measured) */
  modelMs: ReadonlyArray<number | null>;
  /** steps until the verdict shows */
  steps: number;
  /** CPU cores (the workers train side by side) */
  cores: number;
  /**
   * the steps every model trains in all (the experiment's; default `steps`): a model that reaches
   * the verdict's steps early keeps its worker busy until then
   */
  totalSteps?: number;
}

export interface LessonEstimate {
  steps: number;
  /** minutes until every model has trained `steps` steps */
  minutes: number;
  /** over LONG_LESSON_MINUTES */
  long: boolean;
  text: string;
}

/**
 * One worker per model trains at once, each on at most one core: while k workers train on c cores,
 * each moves at min(1, c / k) of its own speed (the cores shared evenly), and a worker that has
 * trained `totalSteps` stops and frees its share. The estimate is the time at which the last model
 * has trained `steps` (processor sharing, simulated event by event). It is never less than the
 * slowest model's time alone nor the summed time over the cores, and more than both when a slow
 * model, which can use one core only, trains on after the others stop. Null until every model is
 * measured.
 */
export function estimateLesson(input: EstimateInput): LessonEstimate | null {
  const { modelMs, steps } = input;
  if (modelMs.length === 0 || !(steps > 0)) return null;
  const times: number[] = [];
  for (const ms of modelMs) {
    if (ms === null || !Number.isFinite(ms) || ms <= 0) return null;
    times.push(ms);
  }
  const cores = Math.max(1, Math.floor(input.cores) || 1);
  const total = Math.max(steps, input.totalSteps ?? steps);
  const minutes = sharedCoresMs(times, steps, total, cores) / 60_000;
  const models = times.length === 1 ? 'this model' : 'these models';
  return {
    steps,
    minutes,
    long: minutes > LONG_LESSON_MINUTES,
    text: `Shows at ~${formatSteps(steps)} steps, ${formatMinutes(minutes)} on this device for ${models}.`,
  };
}

/**
 * ms until every model has trained `steps` of its `total` steps, model i costing times[i] ms a step
 * on a core of its own, the workers sharing `cores` evenly (each at most one core).
 */
export function sharedCoresMs(times: readonly number[], steps: number, total: number, cores: number): number {
  const need = times.map((t) => steps * t); // core-ms until the verdict's steps
  const all = times.map((t) => total * t); // core-ms until the worker stops
  const done = times.map(() => 0);
  const reached = times.map(() => Number.NaN);
  let running = times.map((_, i) => i);
  let now = 0;
  while (running.length > 0) {
    const rate = Math.min(1, cores / running.length);
    const dt = Math.min(...running.map((i) => (all[i] - done[i]) / rate));
    for (const i of running) {
      if (Number.isNaN(reached[i]) && done[i] + dt * rate >= need[i])
        reached[i] = now + (need[i] - done[i]) / rate;
      done[i] += dt * rate;
    }
    now += dt;
    running = running.filter((i) => all[i] - done[i] > 1e-9 * all[i]);
  }
  return Math.max(...reached);
}

export function formatSteps(n: number): string {
  return n >= 10_000 ? `${Math.round(n / 1000)}k` : String(Math.round(n));
}

export function formatMinutes(minutes: number): string {
  if (minutes < 1) return 'under a minute';
  if (minutes < 90) {
    const m = Math.round(minutes);
    return `about ${m} minute${m === 1 ? '' : 's'}`;
  }
  const h = minutes / 60;
  return `about ${h < 10 ? h.toFixed(1).replace(/\.0$/, '') : Math.round(h)} hours`;
}

/**
 * Steps until the verdict shows for every model of the lesson: from the Table 1 sweep (each
 * architecture's median over its seeds of the step from which its final mark held; the slowest
 * architecture counts), when it covers every model of this task; else `fallback` (the preset's steps).
 */
export function stepsToShow(
  table: Table1 | null,
  task: string,
  archs: readonly string[],
  fallback: number,
): { steps: number; source: 'table1' | 'preset' } {
  if (!table || archs.length === 0) return { steps: fallback, source: 'preset' };
  let worst = 0;
  for (const arch of archs) {
    const cell = table.cells.find((c) => c.task === task && c.arch === arch);
    // a run a sweep's time limit cut short says nothing about when the verdict shows
    const steps = (cell ? seedsCounted(cell).counted : [])
      .map((s) => s.stepsToVerdict)
      .filter((s): s is number => s !== null && s > 0)
      .sort((a, b) => a - b);
    if (steps.length === 0) return { steps: fallback, source: 'preset' };
    const mid = steps.length >> 1;
    const median = steps.length % 2 ? steps[mid] : (steps[mid - 1] + steps[mid]) / 2;
    worst = Math.max(worst, median);
  }
  return { steps: Math.round(worst), source: 'table1' };
}
