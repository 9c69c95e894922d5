/**
 * What differs between two experiments, as short human labels ("lr 1e-4 -> 3e-4", "D 32 -> 64",
 * "+S4"): the run history names each run by what changed from the one before it, and the run
 * comparison by what changed between the two runs shown. Pure.
 *
 * Model settings are matched by architecture (the k-th model of an architecture in one experiment
 * with the k-th of the same architecture in the other). A change shared by every matched model is
 * said once ("D 32 -> 64"); otherwise it is prefixed by the model ("Mamba D 32 -> 64").
 */
import { getTask } from '../tasks';
import { ARCHITECTURE_TITLES, type Architecture, type ModelSpec } from './architecture';
import type { Experiment } from './experiment';

type Schedule = Experiment['curriculum']['dims'];

/** Short names of the model fields (D and N as in the paper; the settings panel's labels). */
const MODEL_FIELDS: ReadonlyArray<[keyof ModelSpec, string]> = [
  ['dModel', 'D'],
  ['nLayer', 'layers'],
  ['nHead', 'heads'],
  ['dState', 'd_state'],
  ['dConv', 'conv'],
  ['expand', 'expand'],
  ['positionEmbedding', 'position embedding'],
];

/** Short names of task parameters; others keep their own name. */
const PARAM_NAMES: Record<string, string> = { nPoints: 'N' };

/** A number as people write it in a config: 1e-4, 3e-4, 0.5, 64, 2.5e+6. */
export function formatValue(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs < 1e-2 || abs >= 1e6) {
    const [mantissa, exponent] = v.toExponential().split('e');
    const m = Number(Number(mantissa).toPrecision(3));
    return `${m}e${exponent.replace('+', '')}`;
  }
  return String(Number(v.toPrecision(6)));
}

const change = (name: string, a: unknown, b: unknown) => `${name} ${formatValue(a)} -> ${formatValue(b)}`;

function scheduleText(s: Schedule): string {
  if (s.start === s.end) return String(s.start);
  return `${s.start}..${s.end} (+${s.inc} every ${s.interval})`;
}

const sameSchedule = (a: Schedule, b: Schedule) =>
  a.start === b.start && a.end === b.end && a.inc === b.inc && a.interval === b.interval;

const titleOf = (arch: Architecture) => ARCHITECTURE_TITLES[arch] ?? arch;

/** Pairs of models of the same architecture, and the ones only one side has. */
function matchModels(a: readonly ModelSpec[], b: readonly ModelSpec[]) {
  const pairs: Array<[ModelSpec, ModelSpec]> = [];
  const onlyB: ModelSpec[] = [];
  const used = new Set<number>();
  for (const mb of b) {
    const i = a.findIndex((ma, j) => !used.has(j) && ma.arch === mb.arch);
    if (i < 0) onlyB.push(mb);
    else {
      used.add(i);
      pairs.push([a[i], mb]);
    }
  }
  const onlyA = a.filter((_, j) => !used.has(j));
  return { pairs, onlyA, onlyB };
}

function modelChanges(a: readonly ModelSpec[], b: readonly ModelSpec[]): string[] {
  const { pairs, onlyA, onlyB } = matchModels(a, b);
  const out: string[] = [];
  for (const m of onlyB) out.push(`+${titleOf(m.arch)}`);
  for (const m of onlyA) out.push(`-${titleOf(m.arch)}`);
  for (const [field, name] of MODEL_FIELDS) {
    const changed = pairs.filter(([ma, mb]) => ma[field] !== mb[field]);
    if (changed.length === 0) continue;
    const [first] = changed;
    const uniform =
      changed.length === pairs.length &&
      changed.every(([ma, mb]) => ma[field] === first[0][field] && mb[field] === first[1][field]);
    if (uniform && pairs.length > 0) {
      out.push(change(name, first[0][field], first[1][field]));
    } else {
      for (const [ma, mb] of changed) out.push(`${titleOf(mb.arch)} ${change(name, ma[field], mb[field])}`);
    }
  }
  return out;
}

/**
 * Labels of what changed from `a` to `b`, most telling first (task, models, optimiser, training,
 * data, evaluation). Empty when the experiments are the same.
 */
export function diffExperiments(a: Experiment, b: Experiment): string[] {
  const out: string[] = [];
  if (a.task.name !== b.task.name) {
    out.push(`task ${getTask(a.task.name).title} -> ${getTask(b.task.name).title}`);
  } else {
    const keys = [...new Set([...Object.keys(a.task.params), ...Object.keys(b.task.params)])];
    for (const key of keys) {
      const va = a.task.params[key];
      const vb = b.task.params[key];
      if (JSON.stringify(va) !== JSON.stringify(vb)) out.push(change(PARAM_NAMES[key] ?? key, va, vb));
    }
  }
  out.push(...modelChanges(a.models, b.models));
  if (a.optimizer.lr !== b.optimizer.lr) out.push(change('lr', a.optimizer.lr, b.optimizer.lr));
  if (a.optimizer.beta1 !== b.optimizer.beta1)
    out.push(change('beta1', a.optimizer.beta1, b.optimizer.beta1));
  if (a.optimizer.beta2 !== b.optimizer.beta2)
    out.push(change('beta2', a.optimizer.beta2, b.optimizer.beta2));
  if (a.optimizer.eps !== b.optimizer.eps) out.push(change('eps', a.optimizer.eps, b.optimizer.eps));
  if (a.clip !== b.clip) out.push(change('clip', a.clip, b.clip));
  if (a.batchSize !== b.batchSize) out.push(change('batch', a.batchSize, b.batchSize));
  if (a.steps !== b.steps) out.push(change('steps', a.steps, b.steps));
  // a new task brings its own curriculum: not worth a label of its own
  if (a.task.name === b.task.name) {
    for (const which of ['dims', 'points'] as const) {
      const sa = a.curriculum[which];
      const sb = b.curriculum[which];
      if (!sameSchedule(sa, sb)) out.push(`${which} curriculum ${scheduleText(sa)} -> ${scheduleText(sb)}`);
    }
  }
  if (a.seed !== b.seed) out.push(change('seed', a.seed, b.seed));
  const ea = a.evaluation;
  const eb = b.evaluation;
  if (ea.prompts !== eb.prompts) out.push(change('eval prompts', ea.prompts, eb.prompts));
  if (ea.everySteps !== eb.everySteps) out.push(change('eval every', ea.everySteps, eb.everySteps));
  if (ea.bootstrap !== eb.bootstrap) out.push(change('bootstrap', ea.bootstrap, eb.bootstrap));
  return out;
}

/**
 * One line: the first `max` changes, then "+n more". "same settings" when nothing changed.
 */
export function diffLabel(a: Experiment, b: Experiment, max = 4): string {
  const changes = diffExperiments(a, b);
  if (changes.length === 0) return 'same settings';
  const shown = changes.slice(0, max).join(', ');
  return changes.length > max ? `${shown}, +${changes.length - max} more` : shown;
}
