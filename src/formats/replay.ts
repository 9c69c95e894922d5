/**
 * Recorded runs ("replays"): what a trained race showed, so a weak device or a phone can watch it
 * without training (docs/REPLAYS.md). Written by the CLI (`train --record FILE`), read by the page
 * (src/app/recordings/replay-player.ts); no tfjs on either side of this module.
 *
 * The file is gzip'd JSON, versioned (`format`, `version`), validated by the zod schemas below and
 * then checked for consistent shapes. Per model: the loss curve (bucket means, at most
 * MAX_LOSS_POINTS), the ICL curves and recall breakdown of every evaluation, and the probe results
 * (attention per layer and head, Mamba Delta, ||h_t||, implicit attention, S4 kernels, read-outs)
 * at evaluation steps; the task's baselines once. Heatmaps are quantised to 8 bits per value (the
 * maps are drawn with 256 colours at most); read-outs and ||h_t|| stay float32. Every typed array
 * is stored as base64 of little-endian bytes.
 *
 * Bounded: the writer drops evenly spaced probe frames (always keeping the first and last) until
 * the gzip'd file fits its budget (DEFAULT_REPLAY_BUDGET, 1 MiB); the reader refuses files over
 * MAX_REPLAY_BYTES or inflating past MAX_REPLAY_JSON, with a readable message, and never throws.
 */
import { gzipSync, strFromU8, strToU8 } from 'fflate';
import { z } from 'zod';
import type { RecallBreakdown } from '../eval/recall';
import type { IclCurveSet } from '../eval/types';
import type { LayerProbe, ProbeResult } from '../models/probes';
import { ARCHITECTURES, type Architecture } from '../schema/architecture';
import { type Experiment, parseExperiment } from '../schema/experiment';
import { InflateError, inflateBounded } from './inflate-bounded';

export const REPLAY_FORMAT = 'icl-lab-replay';
export const REPLAY_VERSION = 1;
/** Largest replay file accepted (bytes, compressed). */
export const MAX_REPLAY_BYTES = 4 * 1024 * 1024;
/** Largest inflated JSON accepted (bytes): recorded runs inflate about 2x, this allows 6x the largest file. */
export const MAX_REPLAY_JSON = 24 * 1024 * 1024;
/** What the writer aims for by default (bytes, compressed). */
export const DEFAULT_REPLAY_BUDGET = 1024 * 1024;
/** Loss points per model (bucket means). */
export const MAX_LOSS_POINTS = 256;
/** Evaluations (ICL curve snapshots) per model. */
export const MAX_EVALUATIONS = 200;
/** Probe frames per model before the byte budget applies. */
export const MAX_PROBE_FRAMES = 100;

// ------------------------------------------------------------------------------ decoded form

export interface ReplayLoss {
  /** steps per bucket */
  width: number;
  /** first step of each bucket */
  x: number[];
  /** mean loss of each bucket (NaN: none finite) */
  y: number[];
}

export interface ReplayEvaluation {
  /** steps trained when evaluated */
  step: number;
  sets: IclCurveSet[];
  recall: RecallBreakdown | null;
}

export interface ReplayProbe {
  step: number;
  result: ProbeResult;
}

export interface ReplayModel {
  /** position in the experiment's models */
  index: number;
  arch: Architecture;
  label: string;
  parameters: number;
  /** steps trained */
  steps: number;
  /** why training stopped early (null: it did not) */
  diverged: string | null;
  loss: ReplayLoss;
  /** by increasing step */
  evaluations: ReplayEvaluation[];
  /** by increasing step */
  probes: ReplayProbe[];
}

export interface ReplayContent {
  experiment: Experiment;
  /** the backend the run trained on, e.g. 'wasm', 'webgpu' */
  backend: string;
  /** ISO time of the recording */
  createdAt: string;
  /** the step budget (the scrubber's end) */
  totalSteps: number;
  /** the task's classical baselines on the evaluation prompts (null: none) */
  baselines: IclCurveSet | null;
  models: ReplayModel[];
}

export interface Replay extends ReplayContent {
  version: number;
  /** probe frames the writer left out to fit its byte budget */
  probeFramesDropped: number;
}

// ------------------------------------------------------------------------------ typed arrays

const CHUNK = 0x8000;

export function bytesToBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    text += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(text);
}

export function base64ToBytes(text: string): Uint8Array {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** float32 values, or values quantised to 255 levels between lo and hi (code 255: not finite). */
const packedSchema = z.union([
  z.object({ t: z.literal('f32'), n: z.number().int().min(0).max(4_000_000), b: z.string() }).strict(),
  z
    .object({
      t: z.literal('q8'),
      n: z.number().int().min(0).max(16_000_000),
      lo: z.number(),
      hi: z.number(),
      b: z.string(),
    })
    .strict(),
]);
type Packed = z.infer<typeof packedSchema>;

const Q_LEVELS = 254;
const Q_NAN = 255;

export function packF32(values: ArrayLike<number>): Packed {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return { t: 'f32', n: values.length, b: bytesToBase64(bytes) };
}

export function packQ8(values: ArrayLike<number>): Packed {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) lo = hi = 0;
  const range = hi - lo;
  const codes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    codes[i] = !Number.isFinite(v) ? Q_NAN : range === 0 ? 0 : Math.round(((v - lo) / range) * Q_LEVELS);
  }
  return { t: 'q8', n: values.length, lo, hi, b: bytesToBase64(codes) };
}

function unpack(p: Packed, where: string): Float32Array {
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(p.b);
  } catch {
    throw new ReplayError(`${where}: the values are not valid base64`);
  }
  if (p.t === 'f32') {
    if (bytes.length !== p.n * 4) throw new ReplayError(`${where}: ${bytes.length} bytes for ${p.n} floats`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(p.n);
    for (let i = 0; i < p.n; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  if (bytes.length !== p.n) throw new ReplayError(`${where}: ${bytes.length} codes for ${p.n} values`);
  const out = new Float32Array(p.n);
  const step = (p.hi - p.lo) / Q_LEVELS;
  for (let i = 0; i < p.n; i++) out[i] = bytes[i] === Q_NAN ? Number.NaN : p.lo + bytes[i] * step;
  return out;
}

// ------------------------------------------------------------------------------ the file's schema

const num = z.number().nullable();
const count = z.number().int().min(0).max(100_000);

const curveSchema = z
  .object({
    key: z.string().max(200),
    label: z.string().max(200),
    examples: z.array(z.number().int()).max(4096),
    mean: z.array(num).max(4096),
    lo: z.array(num).max(4096),
    hi: z.array(num).max(4096),
    count: z.array(z.number().int()).max(4096),
  })
  .strict()
  .refine(
    (c) => [c.mean, c.lo, c.hi, c.count].every((a) => a.length === c.examples.length),
    'a curve needs as many values as examples',
  );

const curveSetSchema = z
  .object({
    task: z.string().max(100),
    head: z.string().max(100),
    metric: z.string().max(100),
    yLabel: z.string().max(200),
    chance: z.number(),
    prompts: count,
    seed: z.number(),
    curves: z.array(curveSchema).max(64),
  })
  .strict();

const recallSchema = z
  .object({
    pair: z.array(z.number().int()).max(4096),
    accuracy: z.array(num).max(4096),
    count: z.array(z.number().int()).max(4096),
  })
  .strict()
  .refine((r) => r.accuracy.length === r.pair.length && r.count.length === r.pair.length, {
    message: 'recall needs one accuracy and count per pair',
  });

const dim = z.number().int().min(1).max(4096);

const layerSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('attention'),
      layer: z.number().int().min(0).max(256),
      name: z.string().max(200),
      nHead: z.number().int().min(1).max(64),
      seqLen: dim,
      weights: packedSchema,
    })
    .strict(),
  z
    .object({
      kind: z.literal('mamba'),
      layer: z.number().int().min(0).max(256),
      name: z.string().max(200),
      seqLen: dim,
      dInner: dim,
      dState: dim,
      delta: packedSchema,
      stateNorm: packedSchema,
      stateNormPerChannel: packedSchema,
      implicitAttention: packedSchema.nullable(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('s4'),
      layer: z.number().int().min(0).max(256),
      name: z.string().max(200),
      seqLen: dim,
      channels: dim,
      kernel: packedSchema,
      implicitAttention: packedSchema,
    })
    .strict(),
]);

const probeSchema = z
  .object({
    arch: z.enum(ARCHITECTURES),
    seqLen: dim,
    layers: z.array(layerSchema).max(64),
    outputs: z.array(packedSchema).max(8),
  })
  .strict();

const stepSchema = z.number().int().min(0).max(100_000_000);

const modelSchema = z
  .object({
    index: z.number().int().min(0).max(5),
    arch: z.enum(ARCHITECTURES),
    label: z.string().max(100),
    parameters: z.number().int().min(0),
    steps: stepSchema,
    diverged: z.string().max(2000).nullable(),
    loss: z
      .object({
        width: z.number().int().min(1),
        x: z.array(stepSchema).max(MAX_LOSS_POINTS),
        y: z.array(num).max(MAX_LOSS_POINTS),
      })
      .strict()
      .refine((l) => l.x.length === l.y.length, 'loss needs one value per step'),
    evaluations: z
      .array(
        z
          .object({
            step: stepSchema,
            sets: z.array(curveSetSchema).min(1).max(8),
            recall: recallSchema.nullable(),
          })
          .strict(),
      )
      .max(MAX_EVALUATIONS),
    probes: z.array(z.object({ step: stepSchema, result: probeSchema }).strict()).max(MAX_PROBE_FRAMES),
  })
  .strict();

export const replayFileSchema = z
  .object({
    format: z.literal(REPLAY_FORMAT),
    version: z.number().int().min(1),
    experiment: z.unknown(),
    backend: z.string().max(100),
    createdAt: z.string().max(100),
    totalSteps: z.number().int().min(1).max(100_000_000),
    baselines: curveSetSchema.nullable(),
    models: z.array(modelSchema).min(1).max(6),
    probeFramesDropped: z.number().int().min(0),
  })
  .strict();

type ReplayFile = z.infer<typeof replayFileSchema>;
type CurveSetJson = z.infer<typeof curveSetSchema>;
type ProbeJson = z.infer<typeof probeSchema>;

// ------------------------------------------------------------------------------ errors

export class ReplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayError';
  }
}

export type ReplayRead = { ok: true; replay: Replay } | { ok: false; error: string };

// ------------------------------------------------------------------------------ writing

const round = (v: number): number | null => (Number.isFinite(v) ? Number(v.toPrecision(6)) : null);

function curveSetToJson(set: IclCurveSet): CurveSetJson {
  return {
    task: set.task,
    head: set.head,
    metric: set.metric,
    yLabel: set.yLabel,
    chance: set.chance,
    prompts: set.prompts,
    seed: set.seed,
    curves: set.curves.map((c) => ({
      key: c.key,
      label: c.label,
      examples: Array.from(c.examples),
      mean: Array.from(c.mean, round),
      lo: Array.from(c.lo, round),
      hi: Array.from(c.hi, round),
      count: Array.from(c.count),
    })),
  };
}

function probeToJson(p: ProbeResult): ProbeJson {
  return {
    arch: p.arch,
    seqLen: p.seqLen,
    outputs: p.outputs.map(packF32),
    layers: p.layers.map((l) => {
      switch (l.kind) {
        case 'attention':
          return { ...l, weights: packQ8(l.weights) };
        case 'mamba':
          return {
            ...l,
            delta: packQ8(l.delta),
            stateNorm: packF32(l.stateNorm),
            stateNormPerChannel: packQ8(l.stateNormPerChannel),
            implicitAttention: l.implicitAttention ? packQ8(l.implicitAttention) : null,
          };
        default:
          return { ...l, kernel: packQ8(l.kernel), implicitAttention: packQ8(l.implicitAttention) };
      }
    }),
  };
}

/** `keep` items of `list`, evenly spaced, the first and the last among them. */
export function thinEvenly<T>(list: readonly T[], keep: number): T[] {
  if (keep >= list.length) return list.slice();
  if (keep <= 0) return [];
  if (keep === 1) return [list[list.length - 1]];
  const out: T[] = [];
  for (let i = 0; i < keep; i++) out.push(list[Math.round((i * (list.length - 1)) / (keep - 1))]);
  return out;
}

export interface EncodeOptions {
  /** compressed bytes to fit in (default DEFAULT_REPLAY_BUDGET) */
  budget?: number;
}

export interface EncodedReplay {
  bytes: Uint8Array;
  /** probe frames kept per model (the most of any model) */
  probeFrames: number;
  probeFramesDropped: number;
}

/**
 * The replay file of a recorded run: gzip'd JSON within `budget` bytes, dropping probe frames
 * (evenly, never the last) when needed. Throws ReplayError when even one frame per model is too big.
 */
export function encodeReplay(content: ReplayContent, options: EncodeOptions = {}): EncodedReplay {
  const budget = Math.min(options.budget ?? DEFAULT_REPLAY_BUDGET, MAX_REPLAY_BYTES);
  const models = content.models.map((m) => ({
    ...m,
    evaluations: thinEvenly(m.evaluations, MAX_EVALUATIONS),
    probes: thinEvenly(m.probes, MAX_PROBE_FRAMES),
  }));
  if (models.some((m) => m.loss.x.length > MAX_LOSS_POINTS)) {
    throw new ReplayError(`a loss curve has more than ${MAX_LOSS_POINTS} points`);
  }
  const evaluations = models.map((m) =>
    m.evaluations.map((e) => ({
      step: e.step,
      sets: e.sets.map(curveSetToJson),
      recall: e.recall
        ? {
            pair: Array.from(e.recall.pair),
            accuracy: Array.from(e.recall.accuracy, round),
            count: Array.from(e.recall.count),
          }
        : null,
    })),
  );
  const probes = models.map((m) => m.probes.map((p) => ({ step: p.step, result: probeToJson(p.result) })));
  const total = probes.reduce((n, list) => n + list.length, 0);
  let keep = Math.max(0, ...probes.map((list) => list.length));
  for (;;) {
    const kept = probes.map((list) => thinEvenly(list, keep));
    const dropped = total - kept.reduce((n, list) => n + list.length, 0);
    const file: ReplayFile = {
      format: REPLAY_FORMAT,
      version: REPLAY_VERSION,
      experiment: content.experiment,
      backend: content.backend,
      createdAt: content.createdAt,
      totalSteps: content.totalSteps,
      baselines: content.baselines ? curveSetToJson(content.baselines) : null,
      models: models.map((m, i) => ({
        index: m.index,
        arch: m.arch,
        label: m.label,
        parameters: m.parameters,
        steps: m.steps,
        diverged: m.diverged,
        loss: { width: m.loss.width, x: m.loss.x.slice(), y: m.loss.y.map(round) },
        evaluations: evaluations[i],
        probes: kept[i],
      })),
      probeFramesDropped: dropped,
    };
    const bytes = gzipSync(strToU8(JSON.stringify(file)), { level: 9, mtime: 0 });
    if (bytes.length <= budget) return { bytes, probeFrames: keep, probeFramesDropped: dropped };
    if (keep <= 1) {
      throw new ReplayError(
        `the replay takes ${bytes.length} bytes even with ${keep} probe frame per model, over the budget of ${budget} bytes`,
      );
    }
    keep = keep > 4 ? Math.max(2, Math.floor(keep * 0.75)) : keep - 1;
  }
}

// ------------------------------------------------------------------------------ reading

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** Inflate at most `limit` bytes, stopping as soon as the total passes it (src/formats/inflate-bounded.ts). */
function gunzipBounded(bytes: Uint8Array, limit: number): Uint8Array {
  try {
    return inflateBounded(bytes, 'gzip', limit);
  } catch (e) {
    if (!(e instanceof InflateError)) throw e;
    if (e.reason === 'too-large') throw new ReplayError(`the replay inflates to more than ${limit} bytes`);
    if (e.reason === 'truncated') throw new ReplayError('the file ends early (truncated download?)');
    throw new ReplayError(`the file is not a readable gzip stream (${e.message})`);
  }
}

const nan = (v: number | null) => (v === null ? Number.NaN : v);

function curveSetFromJson(s: CurveSetJson): IclCurveSet {
  return {
    task: s.task as IclCurveSet['task'],
    head: s.head,
    metric: s.metric as IclCurveSet['metric'],
    yLabel: s.yLabel,
    chance: s.chance,
    prompts: s.prompts,
    seed: s.seed,
    curves: s.curves.map((c) => ({
      key: c.key,
      label: c.label,
      examples: Int32Array.from(c.examples),
      mean: Float64Array.from(c.mean, nan),
      lo: Float64Array.from(c.lo, nan),
      hi: Float64Array.from(c.hi, nan),
      count: Int32Array.from(c.count),
    })),
  };
}

function sized(p: Packed, n: number, where: string, shape: string): Float32Array {
  if (p.n !== n) throw new ReplayError(`${where}: ${p.n} values, expected ${shape} = ${n}`);
  return unpack(p, where);
}

function probeFromJson(p: ProbeJson, where: string): ProbeResult {
  const layers: LayerProbe[] = p.layers.map((l, i) => {
    const at = `${where}.layers[${i}]`;
    switch (l.kind) {
      case 'attention': {
        const n = l.nHead * l.seqLen * l.seqLen;
        return { ...l, weights: sized(l.weights, n, `${at}.weights`, `${l.nHead}x${l.seqLen}x${l.seqLen}`) };
      }
      case 'mamba': {
        const ld = l.seqLen * l.dInner;
        const shape = `${l.seqLen}x${l.dInner}`;
        return {
          ...l,
          delta: sized(l.delta, ld, `${at}.delta`, shape),
          stateNorm: sized(l.stateNorm, l.seqLen, `${at}.stateNorm`, `${l.seqLen}`),
          stateNormPerChannel: sized(l.stateNormPerChannel, ld, `${at}.stateNormPerChannel`, shape),
          implicitAttention: l.implicitAttention
            ? sized(
                l.implicitAttention,
                l.seqLen * l.seqLen,
                `${at}.implicitAttention`,
                `${l.seqLen}x${l.seqLen}`,
              )
            : null,
        };
      }
      default:
        return {
          ...l,
          kernel: sized(l.kernel, l.channels * l.seqLen, `${at}.kernel`, `${l.channels}x${l.seqLen}`),
          implicitAttention: sized(
            l.implicitAttention,
            l.seqLen * l.seqLen,
            `${at}.implicitAttention`,
            `${l.seqLen}x${l.seqLen}`,
          ),
        };
    }
  });
  return {
    arch: p.arch,
    seqLen: p.seqLen,
    layers,
    outputs: p.outputs.map((o, i) => unpack(o, `${where}.outputs[${i}]`)),
  };
}

function increasing(steps: number[], where: string): void {
  for (let i = 1; i < steps.length; i++) {
    if (steps[i] < steps[i - 1]) throw new ReplayError(`${where}: steps must increase`);
  }
}

function describeZod(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`)
    .join('; ');
}

/** Parse a replay file (gzip'd or plain JSON). Never throws: a bad file gives `{ ok: false, error }`. */
export function decodeReplay(bytes: Uint8Array): ReplayRead {
  try {
    return { ok: true, replay: decodeOrThrow(bytes) };
  } catch (e) {
    const why = e instanceof ReplayError ? e.message : `unexpected problem (${(e as Error)?.message ?? e})`;
    return { ok: false, error: `This recorded run cannot be played: ${why}.` };
  }
}

function decodeOrThrow(bytes: Uint8Array): Replay {
  if (bytes.length === 0) throw new ReplayError('the file is empty');
  if (bytes.length > MAX_REPLAY_BYTES) {
    throw new ReplayError(`the file has ${bytes.length} bytes, more than the ${MAX_REPLAY_BYTES} accepted`);
  }
  // a server may have decompressed it already (Content-Encoding): then it is the JSON itself
  const text = isGzip(bytes) ? strFromU8(gunzipBounded(bytes, MAX_REPLAY_JSON)) : strFromU8(bytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ReplayError('the file is neither gzip nor JSON');
  }
  const head = json as { format?: unknown; version?: unknown } | null;
  if (!head || head.format !== REPLAY_FORMAT) throw new ReplayError('this is not an ICL Lab replay');
  if (typeof head.version === 'number' && head.version > REPLAY_VERSION) {
    throw new ReplayError(
      `it was recorded by a newer ICL Lab (replay layout ${head.version}; this build reads up to ${REPLAY_VERSION})`,
    );
  }
  const parsed = replayFileSchema.safeParse(json);
  if (!parsed.success) throw new ReplayError(describeZod(parsed.error));
  const f = parsed.data;
  const experiment = parseExperiment(f.experiment);
  if (!experiment.ok)
    throw new ReplayError(`its experiment is invalid: ${experiment.errors.slice(0, 2).join('; ')}`);
  const models: ReplayModel[] = f.models.map((m, i) => {
    const where = `models[${i}]`;
    if (m.index >= experiment.experiment.models.length) {
      throw new ReplayError(`${where}: model ${m.index} is not in the experiment`);
    }
    increasing(m.loss.x, `${where}.loss`);
    increasing(
      m.evaluations.map((e) => e.step),
      `${where}.evaluations`,
    );
    increasing(
      m.probes.map((p) => p.step),
      `${where}.probes`,
    );
    return {
      index: m.index,
      arch: m.arch,
      label: m.label,
      parameters: m.parameters,
      steps: m.steps,
      diverged: m.diverged,
      loss: { width: m.loss.width, x: m.loss.x, y: m.loss.y.map(nan) },
      evaluations: m.evaluations.map((e) => ({
        step: e.step,
        sets: e.sets.map(curveSetFromJson),
        recall: e.recall
          ? {
              pair: Int32Array.from(e.recall.pair),
              accuracy: Float64Array.from(e.recall.accuracy, nan),
              count: Int32Array.from(e.recall.count),
            }
          : null,
      })),
      probes: m.probes.map((p, k) => ({
        step: p.step,
        result: probeFromJson(p.result, `${where}.probes[${k}]`),
      })),
    };
  });
  return {
    version: f.version,
    experiment: experiment.experiment,
    backend: f.backend,
    createdAt: f.createdAt,
    totalSteps: f.totalSteps,
    baselines: f.baselines ? curveSetFromJson(f.baselines) : null,
    models,
    probeFramesDropped: f.probeFramesDropped,
  };
}

// ------------------------------------------------------------------------------ the index

/** One recorded run in public/replays/index.json. */
export const replayIndexEntrySchema = z
  .object({
    /** file name within the replays folder */
    file: z
      .string()
      .max(200)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a plain file name'),
    task: z.string().max(100),
    title: z.string().max(200),
    models: z.array(z.enum(ARCHITECTURES)).min(1).max(6),
    steps: z.number().int().min(1),
    seed: z.number().int().min(0),
    preset: z.string().max(50),
    backend: z.string().max(100),
    /** what to look at */
    shows: z.string().max(500),
    bytes: z.number().int().min(0),
  })
  .strict();

export const replayIndexSchema = z
  .object({
    format: z.literal('icl-lab-replays'),
    version: z.literal(1),
    replays: z.array(replayIndexEntrySchema).max(100),
  })
  .strict();

export type ReplayIndexEntry = z.infer<typeof replayIndexEntrySchema>;
export type ReplayIndex = z.infer<typeof replayIndexSchema>;

/** Parse the index (untrusted). Never throws. */
export function parseReplayIndex(
  json: unknown,
): { ok: true; index: ReplayIndex } | { ok: false; error: string } {
  const parsed = replayIndexSchema.safeParse(json);
  if (parsed.success) return { ok: true, index: parsed.data };
  return { ok: false, error: `The list of recorded runs is unreadable: ${describeZod(parsed.error)}.` };
}

/**
 * The steps a recording holds, as its index entry lists them: the most any of its models trained
 * (a run stopped early, e.g. by a sweep's time limit, lists what it reached, not what it planned).
 */
export function recordedSteps(models: readonly Pick<ReplayModel, 'steps'>[]): number {
  return Math.max(1, ...models.map((m) => m.steps));
}

/** The index with `entry` added, replacing one of the same file. */
export function upsertReplayIndex(index: ReplayIndex | null, entry: ReplayIndexEntry): ReplayIndex {
  const others = (index?.replays ?? []).filter((r) => r.file !== entry.file);
  return { format: 'icl-lab-replays', version: 1, replays: [...others, entry] };
}
