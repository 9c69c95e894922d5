import type { Experiment } from '../schema/experiment';
import { useExperiment } from '../state';
import { isLocked, type LockKey } from '../state/classroom';
import type { SizeKey } from '../state/experiment-store';
import { useShare } from '../state/share';
import { getTask } from '../tasks';
import { NumberField } from './NumberField';

interface FieldSpec {
  key: SizeKey;
  label: string;
  min: number;
  max: number;
  /** the preset's value, from its experiment */
  preset: (e: Experiment) => number | undefined;
  /** the classroom lock that disables it */
  lock: LockKey;
}

const FIELDS: FieldSpec[] = [
  { key: 'dModel', label: 'Width D', min: 4, max: 1024, preset: (e) => e.models[0]?.dModel, lock: 'sizes' },
  { key: 'nLayer', label: 'Layers', min: 1, max: 24, preset: (e) => e.models.at(-1)?.nLayer, lock: 'sizes' },
  { key: 'nHead', label: 'Heads', min: 1, max: 32, preset: (e) => e.models[0]?.nHead, lock: 'sizes' },
  {
    key: 'dState',
    label: 'State size N',
    min: 1,
    max: 64,
    preset: (e) => e.models[0]?.dState,
    lock: 'sizes',
  },
  { key: 'batchSize', label: 'Batch size', min: 1, max: 1024, preset: (e) => e.batchSize, lock: 'schedule' },
  { key: 'steps', label: 'Steps', min: 1, max: 10_000_000, preset: (e) => e.steps, lock: 'schedule' },
  {
    key: 'evalPrompts',
    label: 'Evaluation prompts',
    min: 16,
    max: 12_800,
    preset: (e) => e.evaluation.prompts,
    lock: 'schedule',
  },
  {
    key: 'evalEvery',
    label: 'Evaluate every (steps)',
    min: 1,
    max: 1_000_000,
    preset: (e) => e.evaluation.everySteps,
    lock: 'schedule',
  },
];

const PARAM_LABELS: Record<string, string> = {
  d: 'Dimension d',
  nPoints: 'Examples N',
  k: 'Sparsity k',
  hidden: 'Hidden width',
  depth: 'Tree depth',
  p: 'Outlier probability',
  pairs: 'Key-value pairs',
  queryNoise: 'Query noise',
  vocab: 'Vocabulary',
  queries: 'Queries',
};

interface NumericParam {
  key: string;
  label: string;
  description: string;
  min?: number;
  max?: number;
  integer: boolean;
}

/** The task's numeric parameters, read from its schema (labels, bounds, descriptions). */
function numericParams(task: string): NumericParam[] {
  const t = getTask(task as never);
  const shape = (t.paramsSchema as unknown as { shape?: Record<string, unknown> }).shape ?? {};
  return Object.entries(t.defaults as Record<string, unknown>)
    .filter(([, v]) => typeof v === 'number')
    .map(([key, v]) => {
      const field = shape[key] as {
        description?: string;
        unwrap?: () => { minValue?: number; maxValue?: number };
      };
      const inner = field?.unwrap?.();
      return {
        key,
        label: PARAM_LABELS[key] ?? key,
        description: field?.description ?? '',
        min: inner?.minValue ?? undefined,
        max: inner?.maxValue ?? undefined,
        integer: Number.isInteger(v),
      };
    });
}

/** Sizes and schedule; empty fields keep the preset's value (shown greyed). */
export function SettingsPanel() {
  const sizes = useExperiment((s) => s.draft.sizes);
  const seed = useExperiment((s) => s.draft.seed);
  const defaults = useExperiment((s) => s.presetDefaults);
  const setSize = useExperiment((s) => s.setSize);
  const setSeed = useExperiment((s) => s.setSeed);
  const errors = useExperiment((s) => s.errors);
  const task = useExperiment((s) => s.draft.task);
  const params = useExperiment((s) => s.draft.params);
  const setParam = useExperiment((s) => s.setParam);
  const taskParams = numericParams(task);
  const classroom = useShare((s) => s.classroom);
  return (
    <details className="settings">
      <summary>Settings</summary>
      <p className="hint">
        Empty fields keep the preset’s value. Changing the data (seed, batch) or the architecture restarts the
        models; the learning rate, steps and evaluation change in place.
      </p>
      <div className="settings-grid">
        {taskParams.map((p) => (
          <NumberField
            key={`task:${p.key}`}
            label={p.label}
            value={params[p.key]}
            placeholder={defaults?.task.params[p.key] as number | undefined}
            min={p.min}
            max={p.max}
            step={p.integer ? 1 : 'any'}
            hint={p.description.length <= 40 ? p.description : undefined}
            onCommit={(v) => setParam(p.key, v)}
            disabled={isLocked(classroom, 'task.params')}
          />
        ))}
        {FIELDS.map((f) => (
          <NumberField
            key={f.key}
            label={f.label}
            value={sizes[f.key]}
            placeholder={defaults ? f.preset(defaults) : undefined}
            min={f.min}
            max={f.max}
            onCommit={(v) => setSize(f.key, v)}
            disabled={isLocked(classroom, f.lock)}
          />
        ))}
        <NumberField
          label="Seed"
          value={seed}
          min={0}
          max={0xffffffff}
          onCommit={(v) => setSeed(v === undefined ? 1 : Math.max(0, Math.floor(v)))}
          disabled={isLocked(classroom, 'seed')}
        />
      </div>
      {errors.length > 0 && (
        <div className="alert" role="alert">
          <p>These settings cannot be trained: {errors.join(' ')}</p>
        </div>
      )}
    </details>
  );
}
