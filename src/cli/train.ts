/**
 * `npm run cli -- train --task <t> [--models transformer,mamba,mambaformer] [--preset classroom|paper]
 *  [--steps N] [--backend cpu|wasm|webgpu] [--seed S] [--out DIR] [task parameters] [options]`
 *
 * Trains each model of the preset on the same seeded data stream, one after the other, with a
 * progress line per model on stderr (step, loss, steps/s, ETA). Writes to DIR:
 *   experiment.json                      the validated experiment (reproduces the run)
 *   baselines.csv / baselines.json       the task's classical baselines on the evaluation prompts
 *   <model>-loss.csv                     step, loss, grad_norm of every step
 *   <model>-icl.csv / <model>-icl.json   final ICL curves per head (+ the evaluation history in JSON)
 *   <model>-evals.jsonl                  one line per evaluation, appended as it happens (survives a kill)
 *   <model>.safetensors                  the PyTorch state_dict (docs/CHECKPOINTS.md)
 *   <model>.yaml                         the authors' training config for it ("Continue in PyTorch")
 *   <model>.optim.safetensors            Adam's moments
 *   icl-table.txt, summary.json          the closing table and a summary
 * and ends with the ICL error table of the models next to the baselines on stdout.
 * `--record FILE` also writes a replay of the run for the page's "Watch a recorded run"
 * (src/formats/replay.ts, docs/REPLAYS.md) and adds it to the index.json beside FILE.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateBaselines } from '../eval';
import { appendLosses, emptySeries, seriesPoints } from '../eval/loss-series';
import { recallBreakdown } from '../eval/recall';
import type { IclCurveSet } from '../eval/types';
import { type Mark, REFERENCE_BASELINE, type Verdict, verdictOfSet } from '../eval/verdict';
import { pytorchConfigYaml } from '../formats/pytorch-config';
import {
  DEFAULT_REPLAY_BUDGET,
  encodeReplay,
  MAX_LOSS_POINTS,
  MAX_REPLAY_BYTES,
  parseReplayIndex,
  type ReplayModel,
  recordedSteps,
  upsertReplayIndex,
} from '../formats/replay';
import { replayCaption } from '../formats/replay-combine';
import { evalRecordLine } from '../formats/table1';
import { ARCHITECTURES, type Architecture } from '../schema/architecture';
import { type Experiment, parseExperiment } from '../schema/experiment';
import { LIMITS } from '../schema/limits';
import { TASKS } from '../tasks';
import type { AdamSettings } from '../train/adam';
import { saveCheckpoint } from '../train/checkpoint';
import { scoreEvaluation } from '../train/evaluate';
import { isPresetName, PRESET_NAMES, paperPositionRows, presetExperiment } from '../train/presets';
import type { StepReplayStats } from '../train/step-replay';
import { modelCurveKey, modelLabel, Trainer } from '../train/trainer';
import { startBatchThread } from './batch-thread';
import { curvesToCsv, curvesToJson, formatCurveTable } from './curve-table';
import { formatDuration, ProgressLine } from './progress';
import {
  lossCsv,
  type Resumed,
  readRecordingSoFar,
  resumeFromCheckpoint,
  writeFileAtomically,
  writeRecording,
  writeRunCheckpoint,
} from './resume';
import {
  camelToKebab,
  describeTaskParams,
  kebabToCamel,
  parseLiteral,
  requireTaskName,
  taskParamNames,
  UsageError,
} from './task-args';
import { requireBackendName, setupBackend } from './train-backend';

const OPTIONS = {
  task: { type: 'string' },
  models: { type: 'string' },
  preset: { type: 'string' },
  steps: { type: 'string' },
  backend: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  lr: { type: 'string' },
  warmup: { type: 'string' },
  'd-model': { type: 'string' },
  layers: { type: 'string' },
  heads: { type: 'string' },
  'd-state': { type: 'string' },
  set: { type: 'string', multiple: true },
  'batch-size': { type: 'string' },
  'eval-prompts': { type: 'string' },
  'eval-every': { type: 'string' },
  'read-every': { type: 'string' },
  rows: { type: 'string' },
  'no-baselines': { type: 'boolean' },
  'no-fused': { type: 'boolean' },
  'no-replay': { type: 'boolean' },
  'no-prefetch': { type: 'boolean' },
  'batch-threads': { type: 'string' },
  'stop-at-verdict': { type: 'boolean' },
  'checkpoint-every': { type: 'string' },
  resume: { type: 'boolean' },
  record: { type: 'string' },
  'record-budget': { type: 'string' },
  help: { type: 'boolean' },
} as const;

export const TRAIN_USAGE = `usage: npm run cli -- train --task <name> [options] [task parameters]
options:
  --models a,b,c      architectures (default transformer,mamba,mambaformer); one of
                      ${ARCHITECTURES.join(', ')}
  --preset P          ${PRESET_NAMES.join(' | ')} (default classroom): sizes, steps, LR, curriculum
  --steps N           training steps per model (default: the preset's)
  --backend B         cpu | wasm | webgpu (default cpu; webgpu uses Dawn, see docs/PRESETS.md)
  --seed S            seed of data, initialisation and evaluation (default 0)
  --out DIR           output folder (default runs/<task>-<preset>-seed<S>)
  --lr X              learning rate (default: the preset's)
  --warmup N          linear learning-rate warm-up over the first N steps (default: the preset's, 0 = none)
  --d-model D         model width of every model (default: the preset's)
  --layers L          layers of every model (paper counting: GPT-2 layers for the Transformer, blocks
                      for the others; default: the preset's)
  --heads H           attention heads (default: the preset's)
  --d-state N         SSM state size (default: the preset's)
  --set PATH=VALUE    set any field of the experiment (repeatable), e.g. --set curriculum.dims.start=2
                      --set optimizer.beta2=0.99; VALUE is JSON (a bare word is a string)
  --batch-size N      prompts per step (default: the preset's)
  --eval-prompts N    evaluation prompts (default: the preset's)
  --eval-every N      evaluate every N steps (default: the preset's)
  --read-every N      read the loss back every N steps (default 10)
  --rows N            rows of the closing table (default 8)
  --no-baselines      skip the classical baselines
  --stop-at-verdict   stop a model once its verdict (docs/VERDICTS.md) is 'learns' at two evaluations
                      in a row; computes only the task's reference baseline (and zero), not the slow ones
  --checkpoint-every N  write each model's checkpoint (model, Adam's moments, losses so far) every
                      N steps, at the evaluation that reaches it, so a stopped run can be resumed
  --resume            continue each model from its checkpoint in --out (same experiment; --steps may
                      be larger), on the batches the uninterrupted run would have seen; a model
                      without one starts from step 0, a model already stopped at its verdict is kept
  --record FILE       also write a replay of the run to FILE (e.g. public/replays/<task>.iclreplay)
                      and add it to index.json beside it: loss, ICL curves and probes at every
                      evaluation, for "Watch a recorded run" (docs/REPLAYS.md); with
                      --checkpoint-every, each model's recording so far goes beside its checkpoint,
                      so --resume continues the recording too
  --record-budget N   bytes the replay may take, gzip'd (default ${DEFAULT_REPLAY_BUDGET}); probe
                      frames are thinned to fit
  --no-fused          plain tfjs ops instead of src/kernels' fused kernels (WGSL on webgpu,
                      the JavaScript selective scan on cpu / wasm)
  --no-replay         run every step through tfjs (on webgpu, recorded steps are otherwise
                      enqueued again without tfjs once two agree: src/kernels/README.md)
  --no-prefetch       make every training batch on the training thread (otherwise worker
                      threads make them ahead)
  --batch-threads N   worker threads making batches ahead (default 2)
task parameters (e.g. --d 5 --n-points 11) override the preset's: see --task <name> --help`;

function intOption(flag: string, text: unknown, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max} (got ${String(text)})`);
  }
  return n;
}

/** Apply one `a.b.c=value` assignment (value as JSON, else a string) to a plain JSON object. */
/** One line on how the GPU step replay did (src/kernels/step-replay.ts). */
export function describeReplay(r: StepReplayStats): string {
  if (r.state === 'replaying' || r.replayed > 0)
    return `step replay: ${r.replayed} of the steps enqueued without tfjs (${r.dispatches} dispatches, ${r.submits} submit a step)${r.state === 'replaying' ? '' : `; then stopped: ${r.reason}`}`;
  return `step replay: every step through tfjs (${r.reason})`;
}

export function setPath(root: unknown, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set needs PATH=VALUE, got "${assignment}"`);
  const keys = assignment.slice(0, eq).split('.');
  const text = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  let node = root as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object') {
      throw new UsageError(`--set ${assignment}: "${key}" is not an object in the experiment`);
    }
    node = next as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

function optionalField<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

function numberOption(flag: string, text: unknown): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${flag} must be a positive number (got ${String(text)})`);
  return n;
}

export function parseModels(text: string | undefined): Architecture[] {
  if (text === undefined) return ['transformer', 'mamba', 'mambaformer'];
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError('--models needs at least one architecture');
  const bad = names.filter((n) => !(ARCHITECTURES as readonly string[]).includes(n));
  if (bad.length) {
    throw new UsageError(
      `unknown model ${bad.map((b) => `"${b}"`).join(', ')}; one of: ${ARCHITECTURES.join(', ')}`,
    );
  }
  if (names.length > 6) throw new UsageError('--models takes at most 6 architectures');
  return names as Architecture[];
}

/** Split argv into the known options and `--name value` task parameters. */
function splitArgs(argv: string[]): { values: Record<string, unknown>; taskParams: Record<string, string> } {
  const { values, tokens } = parseArgs({ args: argv, options: OPTIONS, strict: false, tokens: true });
  const known = new Set(Object.keys(OPTIONS));
  const taskParams: Record<string, string> = {};
  const list = tokens ?? [];
  for (let i = 0; i < list.length; i++) {
    const t = list[i];
    if (t.kind === 'positional') throw new UsageError(`unexpected argument "${t.value}"`);
    if (t.kind !== 'option' || known.has(t.name)) continue;
    let value = t.value;
    if (value === undefined) {
      const next = list[i + 1];
      if (next?.kind === 'positional') {
        value = next.value;
        i++;
      } else throw new UsageError(`--${t.name} needs a value`);
    }
    taskParams[t.name] = value;
  }
  for (const [k, v] of Object.entries(values)) {
    const valid = Array.isArray(v) ? v.every((x) => typeof x === 'string') : typeof v === 'string';
    if (known.has(k) && OPTIONS[k as keyof typeof OPTIONS].type === 'string' && !valid) {
      throw new UsageError(`--${k} needs a value`);
    }
  }
  return { values, taskParams };
}

export interface TrainCommand {
  experiment: Experiment;
  preset: 'classroom' | 'paper';
  backend: ReturnType<typeof requireBackendName>;
  out: string;
  readEvery: number;
  rows: number;
  baselines: boolean;
  /** the fused kernels (src/kernels) for the model and Adam: WGSL on webgpu, host loops on cpu / wasm */
  fused: boolean;
  /** replay recorded training steps on WebGPU without tfjs (src/kernels/step-replay.ts) */
  replay: boolean;
  /** make the training batches ahead in worker threads (batch-thread.ts) */
  prefetch: boolean;
  /** how many threads make them */
  batchThreads: number;
  /** write a replay here (null: none) */
  record: string | null;
  /** stop a model once its verdict is 'learns' at two consecutive evaluations */
  stopAtVerdict: boolean;
  recordBudget: number;
  /** write a resumable checkpoint every this many steps (null: only at the end) */
  checkpointEvery: number | null;
  /** continue from the checkpoints in `out` (resume.ts) */
  resume: boolean;
}

/** Parse and validate the command line (throws UsageError with a clear message). */
export function parseTrainArgs(argv: string[]): TrainCommand | 'help' {
  const { values, taskParams } = splitArgs(argv);
  if (values.help && values.task === undefined) return 'help';
  const task = requireTaskName(values.task as string | undefined);
  if (values.help) {
    console.log(`${TRAIN_USAGE}\nparameters of ${task}:\n${describeTaskParams(task)}`);
    return 'help';
  }
  const preset = (values.preset as string | undefined) ?? 'classroom';
  if (!isPresetName(preset))
    throw new UsageError(`unknown preset "${preset}"; one of: ${PRESET_NAMES.join(', ')}`);
  const models = parseModels(values.models as string | undefined);
  const backend = requireBackendName(values.backend as string | undefined);
  const seed = intOption('seed', values.seed, LIMITS.seed.min, LIMITS.seed.max) ?? 0;
  const known = new Set(taskParamNames(task));
  const params: Record<string, unknown> = {};
  for (const [flag, text] of Object.entries(taskParams)) {
    const key = kebabToCamel(flag);
    if (!known.has(key)) {
      const list = [...known].map((k) => `--${camelToKebab(k)}`).join(', ');
      throw new UsageError(`unknown option --${flag}; options: see --help; parameters of ${task}: ${list}`);
    }
    params[key] = parseLiteral(text);
  }
  const E = LIMITS.evaluation;
  const M = LIMITS.model;
  const steps = intOption('steps', values.steps, LIMITS.steps.min, LIMITS.steps.max);
  const lr = numberOption('lr', values.lr);
  const batchSize = intOption('batch-size', values['batch-size'], LIMITS.batchSize.min, LIMITS.batchSize.max);
  const evalPrompts = intOption('eval-prompts', values['eval-prompts'], E.prompts.min, E.prompts.max);
  const evalEvery = intOption('eval-every', values['eval-every'], E.everySteps.min, E.everySteps.max);
  const warmupSteps = intOption('warmup', values.warmup, LIMITS.warmupSteps.min, LIMITS.warmupSteps.max);
  const sizes = {
    ...optionalField('dModel', intOption('d-model', values['d-model'], M.dModel.min, M.dModel.max)),
    ...optionalField('nLayer', intOption('layers', values.layers, M.nLayer.min, M.nLayer.max)),
    ...optionalField('nHead', intOption('heads', values.heads, M.nHead.min, M.nHead.max)),
    ...optionalField('dState', intOption('d-state', values['d-state'], M.dState.min, M.dState.max)),
  };
  let experiment: Experiment;
  try {
    const base = presetExperiment(preset, task, models, seed);
    experiment = presetExperiment(preset, task, models, seed, {
      task: { name: task, params: { ...base.task.params, ...params } },
      ...(Object.keys(sizes).length > 0 ? { models: base.models.map((m) => ({ ...m, ...sizes })) } : {}),
      ...(steps !== undefined ? { steps } : {}),
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...(lr !== undefined || warmupSteps !== undefined
        ? {
            optimizer: {
              ...(lr !== undefined ? { lr } : {}),
              ...(warmupSteps !== undefined ? { warmupSteps } : {}),
            },
          }
        : {}),
      evaluation: {
        ...base.evaluation,
        ...(evalPrompts !== undefined ? { prompts: evalPrompts } : {}),
        ...(evalEvery !== undefined ? { everySteps: evalEvery } : {}),
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const sets = (values.set as string[] | undefined) ?? [];
  if (sets.length > 0) {
    const input: unknown = JSON.parse(JSON.stringify(experiment));
    for (const assignment of sets) setPath(input, assignment);
    const parsed = parseExperiment(input);
    if (!parsed.ok)
      throw new UsageError(`--set gives an invalid experiment:\n  ${parsed.errors.join('\n  ')}`);
    experiment = parsed.experiment;
  }
  const record = (values.record as string | undefined) ?? null;
  if (record !== null && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(basename(record))) {
    throw new UsageError(
      `--record needs a plain file name (letters, digits, . _ -), got "${basename(record)}"`,
    );
  }
  return {
    experiment,
    preset,
    backend,
    out: (values.out as string | undefined) ?? join('runs', `${task}-${preset}-seed${seed}`),
    readEvery: intOption('read-every', values['read-every'], 1, 100_000) ?? 10,
    rows: intOption('rows', values.rows, 1, 10_000) ?? 8,
    baselines: !values['no-baselines'],
    fused: !values['no-fused'],
    replay: !values['no-replay'],
    prefetch: !values['no-prefetch'],
    batchThreads: intOption('batch-threads', values['batch-threads'], 1, 16) ?? 2,
    record,
    stopAtVerdict: values['stop-at-verdict'] === true,
    recordBudget:
      intOption('record-budget', values['record-budget'], 4096, MAX_REPLAY_BYTES) ?? DEFAULT_REPLAY_BUDGET,
    checkpointEvery: intOption('checkpoint-every', values['checkpoint-every'], 1, LIMITS.steps.max) ?? null,
    resume: values.resume === true,
  };
}

function fileStems(experiment: Experiment): string[] {
  const archs = experiment.models.map((m) => m.arch);
  return archs.map((a, i) => (archs.filter((b) => b === a).length > 1 ? `${a}-${i}` : a));
}

/** --stop-at-verdict: the last two evaluations (in order) were both 'learns'. */
export function shouldStopAtVerdict(marks: readonly (Mark | null)[]): boolean {
  const n = marks.length;
  return n >= 2 && marks[n - 1] === 'learns' && marks[n - 2] === 'learns';
}

/** One line per evaluation during training: the model's curve, so a log shows the ICL curve evolve. */
export function evaluationLine(name: string, step: number, sets: readonly IclCurveSet[]): string {
  return sets
    .map((set) => {
      const c = set.curves[0];
      const values = Array.from(c.mean, (v, i) => `${c.examples[i]}:${v.toPrecision(3)}`).join(' ');
      return `${name} step ${step} ${set.head} ${set.yLabel} (chance ${set.chance.toPrecision(3)}): ${values}`;
    })
    .join('\n');
}

function curveSetJson(set: IclCurveSet): unknown {
  return JSON.parse(curvesToJson(set));
}

interface ModelSummary {
  index: number;
  arch: string;
  file: string;
  parameters: number;
  steps: number;
  seconds: number;
  stepsPerSecond: number;
  finalLoss: number | null;
  diverged: string | null;
  /** the step at which --stop-at-verdict stopped the model (null: not stopped early) */
  stoppedAtVerdict: number | null;
  /** the step --resume continued from (null: trained from step 0) */
  resumedAt: number | null;
}

export async function runTrain(argv: string[]): Promise<number> {
  let command: TrainCommand | 'help';
  try {
    command = parseTrainArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (command === 'help') {
    console.log(TRAIN_USAGE);
    return 0;
  }
  const { experiment, out } = command;
  let backend: string;
  try {
    backend = await setupBackend(command.backend, { fused: command.fused });
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 2;
  }
  const fused = command.fused ? await import('../kernels') : null;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'experiment.json'), `${JSON.stringify(experiment, null, 2)}\n`);
  const task = TASKS.find((t) => t.name === experiment.task.name)!;
  const params = experiment.task.params as never;
  console.error(
    `${task.title} ${JSON.stringify(experiment.task.params)} · ${experiment.models.length} model(s) · ` +
      `${experiment.steps} steps · batch ${experiment.batchSize} · lr ${experiment.optimizer.lr} · ` +
      `seed ${experiment.seed} · backend ${backend} · out ${out}`,
  );

  let baselineSet: IclCurveSet | null = null;
  const reference = REFERENCE_BASELINE[task.name];
  if (command.stopAtVerdict && reference !== null && !command.baselines) {
    // the verdict needs the reference (and the zero predictor) on the evaluation prompts: cheap
    baselineSet = evaluateBaselines(task, params, experiment.curriculum, {
      prompts: experiment.evaluation.prompts,
      seed: experiment.seed,
      resamples: experiment.evaluation.bootstrap,
      baselines: [reference, 'zero'],
    });
  }
  if (command.baselines && task.baselines.length > 0) {
    const progress = new ProgressLine(process.stderr);
    const started = performance.now();
    try {
      baselineSet = evaluateBaselines(task, params, experiment.curriculum, {
        prompts: experiment.evaluation.prompts,
        seed: experiment.seed,
        resamples: experiment.evaluation.bootstrap,
        ...(command.stopAtVerdict
          ? { baselines: reference !== null ? [reference, 'zero' as const] : [] }
          : {}),
        onProgress: (done, total, label) =>
          progress.update(`baselines ${done}/${total} ${label}`, done, total, started),
      });
      progress.done(
        `baselines: ${baselineSet.curves.length} curves in ${formatDuration((performance.now() - started) / 1000)}`,
      );
      writeFileSync(join(out, 'baselines.csv'), curvesToCsv(baselineSet));
      writeFileSync(join(out, 'baselines.json'), curvesToJson(baselineSet));
    } catch (e) {
      progress.done(`baselines skipped: ${(e as Error).message}`);
    }
  }

  const stems = fileStems(experiment);
  const finals: IclCurveSet[][] = [];
  const summaries: ModelSummary[] = [];
  const replayModels: ReplayModel[] = [];
  let failed = false;
  for (let i = 0; i < experiment.models.length; i++) {
    const spec = experiment.models[i];
    const stem = stems[i];
    const trainer = new Trainer(experiment, i, {
      readEvery: command.readEvery,
      ...(command.prefetch
        ? { batchSource: (e: Experiment) => startBatchThread(e, { threads: command.batchThreads }) }
        : {}),
      positionRows: command.preset === 'paper' ? paperPositionRows(spec.arch) : undefined,
      ...(fused
        ? {
            kernels: fused.modelKernels(),
            optimizer: (s: AdamSettings) => new fused.FusedAdam(s),
            ...(command.replay ? { stepReplay: fused.createStepReplay } : {}),
          }
        : {}),
    });
    const name = `${modelLabel(spec)} (${trainer.model.parameterCount.toLocaleString('en-US')} params)`;
    const progress = new ProgressLine(process.stderr);
    const history: Array<{ step: number; sets: unknown[] }> = [];
    const recorded: ReplayModel | null = command.record
      ? {
          index: i,
          arch: spec.arch,
          label: modelLabel(spec),
          parameters: trainer.model.parameterCount,
          steps: 0,
          diverged: null,
          loss: { width: 1, x: [], y: [] },
          evaluations: [],
          probes: [],
        }
      : null;
    /** Evaluate (ICL curves with the experiment's bootstrap, recall) and probe, for the replay. */
    const record = async (): Promise<IclCurveSet[]> => {
      const predictions = await trainer.predict();
      const sets = scoreEvaluation(predictions, {
        key: modelCurveKey(i, spec),
        label: modelLabel(spec),
        seed: experiment.seed,
        bootstrap: experiment.evaluation.bootstrap,
      });
      const step = trainer.stepCount;
      recorded!.evaluations.push({ step, sets, recall: recallBreakdown(predictions) });
      recorded!.probes.push({ step, result: await trainer.probe(undefined, { implicitAttention: true }) });
      return sets;
    };
    /** The recorded model as of now: its losses so far, its steps and its divergence. */
    const closeRecording = (into: ReplayModel): ReplayModel => {
      const records = trainer.state().history;
      const series = appendLosses(
        emptySeries(),
        records.map((r) => r.step),
        records.map((r) => r.loss),
        MAX_LOSS_POINTS - 1,
      );
      const points = seriesPoints(series);
      into.loss = { width: series.width, x: points.x, y: points.y };
      into.steps = trainer.stepCount;
      into.diverged = trainer.diverged?.message ?? null;
      return into;
    };
    /**
     * After every recorded evaluation the replay is rewritten with what is known so far, so a run
     * stopped from outside (a sweep's time limit, Ctrl-C) still leaves a playable recording of the
     * steps it reached; the finished run overwrites it.
     */
    const saveRecordingSoFar = () => {
      if (!recorded) return;
      try {
        writeReplay(command, backend, baselineSet, [...replayModels, closeRecording({ ...recorded })], {
          quiet: true,
        });
      } catch (e) {
        progress.note(`the recording so far was not written: ${(e as Error).message}`);
      }
    };
    const every = experiment.evaluation.everySteps;
    const evalsFile = join(out, `${stem}-evals.jsonl`);
    let resumed: Resumed | null = null;
    if (command.resume) {
      try {
        resumed = await resumeFromCheckpoint(out, stem, trainer);
      } catch (e) {
        console.error(`error: ${(e as Error).message}`);
        trainer.dispose();
        return 2;
      }
      if (resumed && recorded) {
        try {
          Object.assign(recorded, readRecordingSoFar(out, stem, experiment, resumed.step));
        } catch (e) {
          console.error(`error: ${(e as Error).message}`);
          trainer.dispose();
          return 2;
        }
      }
      progress.note(
        resumed
          ? `${name}: resumed at step ${resumed.step} from ${join(out, `${stem}.safetensors`)}` +
              (recorded ? ` (its recording: ${recorded.evaluations.length} evaluations so far)` : '')
          : `${name}: no checkpoint in ${out}, starting at step 0`,
      );
    }
    writeFileSync(evalsFile, resumed ? resumed.evalLines.map((l) => `${l}\n`).join('') : '');
    let lastLogged = resumed && resumed.evalLines.length > 0 ? resumed.step : -1;
    const firstStep = trainer.stepCount;
    let lastCheckpoint = firstStep;
    /** Append one evaluation to the jsonl (with its verdict under --stop-at-verdict). */
    const logEvaluation = (step: number, sets: IclCurveSet[]): Verdict | null => {
      let verdict: Verdict | null = null;
      if (command.stopAtVerdict && sets[0]) {
        try {
          verdict = verdictOfSet(sets[0], baselineSet);
        } catch {
          verdict = null;
        }
      }
      appendFileSync(evalsFile, `${evalRecordLine(step, sets, verdict ?? undefined)}\n`);
      lastLogged = step;
      return verdict;
    };
    const marks: Array<Mark | null> = [...(resumed?.marks ?? [])];
    let stoppedAtVerdict: number | null =
      resumed && command.stopAtVerdict && shouldStopAtVerdict(marks) ? resumed.step : null;
    if (stoppedAtVerdict !== null) {
      progress.note(`${name}: already 'learns' at two evaluations in a row by step ${stoppedAtVerdict}`);
    }
    const started = performance.now();
    let lastLoss = Number.NaN;
    let result: Awaited<ReturnType<Trainer['train']>> = { steps: 0, reason: 'done' };
    try {
      // a resumed recording holds its evaluations up to the checkpoint's step already
      if (recorded && !resumed) await record();
      while (stoppedAtVerdict === null && trainer.stepCount < experiment.steps) {
        const chunk = Math.min(every - (trainer.stepCount % every), experiment.steps - trainer.stepCount);
        result = await trainer.train(chunk, {
          onProgress: (p) => {
            lastLoss = p.loss;
            progress.update(
              `${name} step ${p.step}/${p.totalSteps} loss ${p.loss.toPrecision(4)} · ${p.stepsPerSecond.toFixed(1)} steps/s`,
              p.step,
              p.totalSteps,
              started,
            );
          },
        });
        if (result.reason !== 'done') break;
        if (trainer.stepCount % every === 0 && trainer.stepCount < experiment.steps) {
          const sets = recorded ? await record() : await trainer.evaluate({ bootstrap: 0 });
          saveRecordingSoFar();
          history.push({ step: trainer.stepCount, sets: sets.map(curveSetJson) });
          const verdict = logEvaluation(trainer.stepCount, sets);
          progress.note(
            evaluationLine(name, trainer.stepCount, sets) +
              (verdict ? ` [${verdict.mark}, gap closed ${verdict.gapClosed.toFixed(3)}]` : ''),
          );
          marks.push(verdict?.mark ?? null);
          if (
            command.checkpointEvery !== null &&
            trainer.stepCount - lastCheckpoint >= command.checkpointEvery
          ) {
            await writeRunCheckpoint(
              out,
              stem,
              trainer,
              recorded ? { model: closeRecording({ ...recorded }), backend } : undefined,
            );
            lastCheckpoint = trainer.stepCount;
          }
          if (command.stopAtVerdict && shouldStopAtVerdict(marks)) {
            stoppedAtVerdict = trainer.stepCount;
            progress.note(
              `${name}: 'learns' at two evaluations in a row, stopped at step ${trainer.stepCount}`,
            );
            break;
          }
        }
      }
      const seconds = (performance.now() - started) / 1000;
      const diverged = trainer.diverged;
      if (diverged) {
        failed = true;
        progress.done(`${name}: ${diverged.message}`);
      } else {
        const trained = trainer.stepCount - firstStep;
        progress.done(
          `${name}: ${trainer.stepCount} steps${firstStep > 0 ? ` (${trained} after resuming)` : ''} in ${formatDuration(seconds)} ` +
            `(${(trained / Math.max(seconds, 1e-9)).toFixed(2)} steps/s), last loss ${lastLoss.toPrecision(4)}`,
        );
      }
      const replay = trainer.replayStats();
      if (replay) console.error(`${name}: ${describeReplay(replay)}`);
      const prefetched = trainer.batchStats();
      if (prefetched)
        console.error(
          `${name}: batches made ahead in ${command.batchThreads} worker thread(s): ${prefetched.hits} of ${prefetched.hits + prefetched.misses}` +
            (prefetched.error ? ` (then: ${prefetched.error})` : ''),
        );
      // a recording resumed at its last step has that step's evaluation already
      const last = recorded?.evaluations.at(-1);
      const sets = recorded
        ? last && last.step === trainer.stepCount
          ? last.sets
          : await record()
        : await trainer.evaluate();
      finals.push(sets);
      history.push({ step: trainer.stepCount, sets: sets.map(curveSetJson) });
      if (lastLogged !== trainer.stepCount) logEvaluation(trainer.stepCount, sets);
      const records = trainer.state().history;
      if (recorded) replayModels.push(closeRecording(recorded));
      writeFileSync(join(out, `${stem}-loss.csv`), lossCsv(records));
      const csv = sets.map((s, k) => {
        const text = curvesToCsv(s);
        return k === 0 ? text : text.slice(text.indexOf('\n') + 1);
      });
      writeFileSync(join(out, `${stem}-icl.csv`), csv.join(''));
      writeFileSync(
        join(out, `${stem}-icl.json`),
        JSON.stringify({ model: spec, final: sets.map(curveSetJson), history }, null, 1),
      );
      const files = await saveCheckpoint(trainer);
      writeFileSync(join(out, `${stem}.safetensors`), files.model);
      const yaml = pytorchConfigYaml(experiment, i);
      if (yaml instanceof Error) progress.note(`${name}: no PyTorch config (${yaml.message})`);
      else writeFileSync(join(out, `${stem}.yaml`), yaml);
      if (files.optimizer) writeFileSync(join(out, `${stem}.optim.safetensors`), files.optimizer);
      // a recorded model's whole recording beside its checkpoint: a run resumed later (more
      // --steps, or the next model of a run stopped part way) goes on from it
      if (recorded) writeRecording(out, stem, experiment, { model: recorded, backend });
      summaries.push({
        index: i,
        arch: spec.arch,
        file: stem,
        parameters: trainer.model.parameterCount,
        steps: trainer.stepCount,
        seconds,
        stepsPerSecond: (trainer.stepCount - firstStep) / Math.max(seconds, 1e-9),
        resumedAt: resumed?.step ?? null,
        finalLoss: Number.isFinite(lastLoss) ? lastLoss : null,
        diverged: diverged?.message ?? null,
        stoppedAtVerdict,
      });
    } finally {
      trainer.dispose();
    }
  }

  // The closing table: every model's primary head next to the baselines.
  const primary = finals.map((sets) => sets[0]).filter(Boolean);
  const table: IclCurveSet | null = primary.length
    ? {
        ...primary[0],
        curves: [...primary.flatMap((s) => s.curves), ...(baselineSet?.curves ?? [])],
      }
    : null;
  if (table) {
    const text = formatCurveTable(table, command.rows);
    writeFileSync(join(out, 'icl-table.txt'), `${text}\n`);
    console.log(`${task.title} ${JSON.stringify(experiment.task.params)}`);
    console.log(text);
  }
  writeFileSync(
    join(out, 'summary.json'),
    JSON.stringify(
      {
        experiment,
        backend,
        models: summaries,
        keys: experiment.models.map((m, i) => modelCurveKey(i, m)),
        baselines: baselineSet ? curveSetJson(baselineSet) : null,
      },
      null,
      1,
    ),
  );
  console.error(`wrote ${out}`);
  if (command.record) {
    try {
      writeReplay(command, backend, baselineSet, replayModels);
    } catch (e) {
      console.error(`error: the replay was not written: ${(e as Error).message}`);
      return 1;
    }
  }
  return failed ? 1 : 0;
}

/** Write the replay file and add it to the index.json of its folder. */
function writeReplay(
  command: TrainCommand,
  backend: string,
  baselines: IclCurveSet | null,
  models: ReplayModel[],
  { quiet = false } = {},
): void {
  const file = command.record!;
  const { experiment } = command;
  const encoded = encodeReplay(
    {
      experiment,
      backend,
      createdAt: new Date().toISOString(),
      totalSteps: experiment.steps,
      baselines,
      models,
    },
    { budget: command.recordBudget },
  );
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomically(file, encoded.bytes);
  const indexFile = join(dirname(file), 'index.json');
  let index = null;
  if (existsSync(indexFile)) {
    const parsed = parseReplayIndex(JSON.parse(readFileSync(indexFile, 'utf8')));
    if (!parsed.ok) throw new Error(`${indexFile}: ${parsed.error}`);
    index = parsed.index;
  }
  const task = TASKS.find((t) => t.name === experiment.task.name)!;
  index = upsertReplayIndex(index, {
    file: basename(file),
    task: task.name,
    title: task.title,
    models: experiment.models.map((m) => m.arch),
    steps: recordedSteps(models),
    seed: experiment.seed,
    preset: command.preset,
    backend,
    shows: replayCaption({ experiment, baselines, models }),
    bytes: encoded.bytes.length,
  });
  writeFileAtomically(indexFile, `${JSON.stringify(index, null, 1)}\n`);
  if (quiet) return;
  const dropped = encoded.probeFramesDropped
    ? `, ${encoded.probeFramesDropped} probe frames left out to fit`
    : '';
  console.error(`wrote the replay ${file} (${encoded.bytes.length} bytes${dropped}) and ${indexFile}`);
}
