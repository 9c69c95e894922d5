/**
 * Pieces shared by the function-learning tasks: the curriculum, the x/y token layout of the common
 * ICL frame (paper.md section 1), and the scalar-label head.
 */
import { z } from 'zod';
import type { Rng } from '../random/rng';
import type {
  CurriculumSpec,
  CurriculumState,
  ExampleView,
  HeadBatch,
  HeadSpec,
  PromptBatch,
  PromptSketch,
  Schedule,
  TaskName,
} from './types';

/** value(step) = min(end, start + inc * floor(step / interval)), as the released curriculum. */
export function scheduleAt(schedule: Schedule, step: number): number {
  if (schedule.interval <= 0 || schedule.inc === 0) return Math.min(schedule.start, schedule.end);
  return Math.min(
    schedule.end,
    schedule.start + schedule.inc * Math.floor(Math.max(0, step) / schedule.interval),
  );
}

/** The curriculum state used for the batch of training step `step` (0-based). */
export function curriculumAt(spec: CurriculumSpec, step: number): CurriculumState {
  return { dims: scheduleAt(spec.dims, step), points: scheduleAt(spec.points, step) };
}

/** The state at the end of the curriculum: full size, used for evaluation. */
export function curriculumEnd(spec: CurriculumSpec): CurriculumState {
  return { dims: spec.dims.end, points: spec.points.end };
}

export function fixedSchedule(value: number): Schedule {
  return { start: value, end: value, inc: 0, interval: 1 };
}

/** The paper's regression curriculum for dimension d and N points. */
export function regressionCurriculum(
  d: number,
  nPoints: number,
  dimsStart: number,
  pointsStart: number,
  pointsInc: number,
  interval = 2000,
): CurriculumSpec {
  return {
    dims: { start: Math.min(dimsStart, d), end: d, inc: 1, interval },
    points: { start: Math.min(pointsStart, nPoints), end: nPoints, inc: pointsInc, interval },
  };
}

/** Draw x ~ N(0, I) with coordinates at index >= liveDims set to 0 into xs[offset .. offset + d). */
export function sampleGaussianX(
  rng: Rng,
  xs: Float32Array,
  offset: number,
  d: number,
  liveDims: number,
): void {
  for (let j = 0; j < d; j++) xs[offset + j] = j < liveDims ? rng.normal() : 0;
}

export const scalarHead = (normalisation: number): HeadSpec => ({
  name: 'y',
  dim: 1,
  loss: 'mse',
  metric: 'squared-error',
  normalisation,
});

/**
 * The common ICL frame: tokens x_1, y_1, ..., x_N, y_N where the y token is (y, 0, ..., 0),
 * one read-in, and a scalar read-out at every x token predicting its y.
 * `tokenOverride` (optional) replaces the x and/or y token of an example (outlier tasks).
 */
export function interleaveExamples(
  task: TaskName,
  examples: ExampleView,
  head: HeadSpec,
  yTokens?: Float32Array,
): PromptBatch {
  const { nPoints, dim, xs, ys, clean } = examples;
  const batchSize = ys.length / nPoints;
  const seqLen = 2 * nPoints;
  const tokens = new Float32Array(batchSize * seqLen * dim);
  for (let b = 0; b < batchSize; b++) {
    for (let i = 0; i < nPoints; i++) {
      const src = (b * nPoints + i) * dim;
      const xTok = (b * seqLen + 2 * i) * dim;
      const yTok = xTok + dim;
      tokens.set(xs.subarray(src, src + dim), xTok);
      if (yTokens) tokens.set(yTokens.subarray(src, src + dim), yTok);
      else tokens[yTok] = ys[b * nPoints + i];
    }
  }
  const positions = new Int32Array(nPoints);
  const examplesBefore = new Int32Array(nPoints);
  for (let i = 0; i < nPoints; i++) {
    positions[i] = 2 * i;
    examplesBefore[i] = i;
  }
  const mask = new Float32Array(batchSize * nPoints);
  for (let i = 0; i < mask.length; i++) mask[i] = clean[i];
  const yHead: HeadBatch = { spec: head, positions, targets: ys.slice(), targetDim: 1, mask, examplesBefore };
  return {
    task,
    batchSize,
    seqLen,
    tokenDim: dim,
    tokens,
    tokenKinds: new Uint8Array(seqLen),
    heads: [yHead],
    examples,
  };
}

/** Allocate an example view of `batchSize` prompts with every example clean. */
export function allocateExamples(batchSize: number, nPoints: number, dim: number): ExampleView {
  return {
    nPoints,
    dim,
    xs: new Float32Array(batchSize * nPoints * dim),
    ys: new Float32Array(batchSize * nPoints),
    clean: new Uint8Array(batchSize * nPoints).fill(1),
  };
}

/**
 * A scatter of one prompt's examples: x axis = projection of x on the direction that best explains
 * y (least squares through the clean examples by normal equations with a small ridge), y axis = label.
 * For a linear task the points fall on a line; for nonlinear tasks the spread shows the nonlinearity.
 */
export function sketchScatter(batch: PromptBatch, index: number, caption: string): PromptSketch {
  const ex = batch.examples;
  if (!ex) throw new Error(`task ${batch.task} has no example view to draw`);
  const { nPoints: n, dim: d } = ex;
  const xtx = new Float64Array(d * d);
  const xty = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    if (!ex.clean[index * n + i]) continue;
    const off = (index * n + i) * d;
    const y = ex.ys[index * n + i];
    for (let a = 0; a < d; a++) {
      xty[a] += ex.xs[off + a] * y;
      for (let c = 0; c < d; c++) xtx[a * d + c] += ex.xs[off + a] * ex.xs[off + c];
    }
  }
  for (let a = 0; a < d; a++) xtx[a * d + a] += 1e-6;
  const dir = solveSymmetric(xtx, xty, d);
  let norm = 0;
  for (let a = 0; a < d; a++) norm += dir[a] * dir[a];
  norm = Math.sqrt(norm) || 1;
  const points: Array<{ x: number; y: number; outlier: boolean }> = [];
  for (let i = 0; i < n; i++) {
    const off = (index * n + i) * d;
    let proj = 0;
    for (let a = 0; a < d; a++) proj += (ex.xs[off + a] * dir[a]) / norm;
    points.push({ x: proj, y: ex.ys[index * n + i], outlier: ex.clean[index * n + i] === 0 });
  }
  return { kind: 'scatter', xLabel: 'x projected on the fitted direction', yLabel: 'y', points, caption };
}

/** Solve A x = b for small symmetric positive definite A (Gaussian elimination with pivoting). */
function solveSymmetric(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]) > Math.abs(m[piv * n + col])) piv = r;
    if (piv !== col) {
      for (let c = 0; c < n; c++) [m[col * n + c], m[piv * n + c]] = [m[piv * n + c], m[col * n + c]];
      [x[col], x[piv]] = [x[piv], x[col]];
    }
    const p = m[col * n + col] || 1e-12;
    for (let r = col + 1; r < n; r++) {
      const f = m[r * n + col] / p;
      if (f === 0) continue;
      for (let c = col; c < n; c++) m[r * n + c] -= f * m[col * n + c];
      x[r] -= f * x[col];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r];
    for (let c = r + 1; c < n; c++) s -= m[r * n + c] * x[c];
    x[r] = s / (m[r * n + r] || 1e-12);
  }
  return x;
}

/** A curriculum that does not move: `dims` live coordinates and `points` examples throughout. */
export function fixedCurriculum(dims: number, points: number): CurriculumSpec {
  return { dims: fixedSchedule(dims), points: fixedSchedule(points) };
}

/** The number of live coordinates of x for dimension d under curriculum state `state` (0..d). */
export function liveDims(d: number, state: CurriculumState): number {
  return Math.max(0, Math.min(d, Math.floor(state.dims)));
}

/** Sum of a[aOff + j] * b[bOff + j] for j < n, in float64. */
export function dot(
  a: ArrayLike<number>,
  aOff: number,
  b: ArrayLike<number>,
  bOff: number,
  n: number,
): number {
  let s = 0;
  for (let j = 0; j < n; j++) s += a[aOff + j] * b[bOff + j];
  return s;
}

/** The dimension d of x, as every regression task's parameters hold it (at most 64). */
export const dimensionParam = (d: number) =>
  z.number().int().min(1).max(64).default(d).describe('dimension of x').meta({ label: 'Dimension d' });

/** The in-context examples per prompt N, as the tasks' parameters hold it (at most 512). */
export const examplesParam = (n: number) =>
  z
    .number()
    .int()
    .min(1)
    .max(512)
    .default(n)
    .describe('in-context examples per prompt (N)')
    .meta({ label: 'Examples N' });
