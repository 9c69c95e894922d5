/**
 * From per-prompt scores to an ICL curve: the mean metric over prompts at every number of
 * in-context examples, with a 5-95 % bootstrap band of that mean.
 *
 * The bootstrap resamples whole prompts (with replacement, the same resample for every position,
 * since a prompt's errors at different positions are correlated), and at each position takes the
 * mean over the resampled prompts that are scored there (a prompt drawn twice counts twice). It is
 * seeded (Rng.derive(seed, 'bootstrap', key)), so a curve is reproducible.
 */
import { Rng } from '../random/rng';
import type { HeadScores } from './score';
import type { IclCurve } from './types';

export interface SummaryOptions {
  key: string;
  label: string;
  /** seed of the bootstrap resampling */
  seed: number;
  /** bootstrap resamples (default 1000) */
  resamples?: number;
  /** band quantiles (default 0.05 and 0.95) */
  lowQuantile?: number;
  highQuantile?: number;
}

/** Per-prompt scores of one predictor, gathered over chunks of prompts. */
export interface ScoreTable {
  /** [nTargets] */
  examples: Int32Array;
  prompts: number;
  /** [prompts, nTargets] */
  values: Float64Array;
  /** [prompts, nTargets] */
  scored: Uint8Array;
}

/** Collects HeadScores chunk by chunk (all of the same head) into one ScoreTable. */
export class CurveAccumulator {
  private chunks: HeadScores[] = [];
  private examples: Int32Array | null = null;

  add(scores: HeadScores): void {
    if (this.examples) {
      const ex = this.examples;
      if (scores.nTargets !== ex.length || scores.examplesBefore.some((v, i) => v !== ex[i]))
        throw new Error('CurveAccumulator: chunks score different targets');
    } else this.examples = scores.examplesBefore.slice();
    this.chunks.push(scores);
  }

  get prompts(): number {
    let p = 0;
    for (const c of this.chunks) p += c.batchSize;
    return p;
  }

  table(): ScoreTable {
    const examples = this.examples ?? new Int32Array(0);
    const T = examples.length;
    const prompts = this.prompts;
    const values = new Float64Array(prompts * T);
    const scored = new Uint8Array(prompts * T);
    let off = 0;
    for (const c of this.chunks) {
      values.set(c.values, off);
      scored.set(c.scored, off);
      off += c.batchSize * T;
    }
    return { examples, prompts, values, scored };
  }

  summarise(options: SummaryOptions): IclCurve {
    return summariseCurve(this.table(), options);
  }
}

/** Quantile q of sorted values (linear interpolation between order statistics, as numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Mean over prompts and 5-95 % bootstrap band at every target; targets no prompt scored are
 * left out of the curve.
 */
export function summariseCurve(table: ScoreTable | HeadScores, options: SummaryOptions): IclCurve {
  const t: ScoreTable =
    'prompts' in table
      ? table
      : {
          examples: table.examplesBefore,
          prompts: table.batchSize,
          values: table.values,
          scored: table.scored,
        };
  const { examples, prompts: P, values, scored } = t;
  const T = examples.length;
  const R = Math.max(1, Math.floor(options.resamples ?? 1000));
  const qLo = options.lowQuantile ?? 0.05;
  const qHi = options.highQuantile ?? 0.95;
  const count = new Int32Array(T);
  const sum = new Float64Array(T);
  for (let p = 0; p < P; p++)
    for (let j = 0; j < T; j++)
      if (scored[p * T + j]) {
        count[j]++;
        sum[j] += values[p * T + j];
      }
  // each prompt's scored targets, as compressed rows (outlier tasks score few of them)
  const rowStart = new Int32Array(P + 1);
  for (let p = 0; p < P; p++) {
    let c = 0;
    for (let j = 0; j < T; j++) c += scored[p * T + j];
    rowStart[p + 1] = rowStart[p] + c;
  }
  const cols = new Int32Array(rowStart[P]);
  const vals = new Float64Array(rowStart[P]);
  for (let p = 0, e = 0; p < P; p++)
    for (let j = 0; j < T; j++)
      if (scored[p * T + j]) {
        cols[e] = j;
        vals[e] = values[p * T + j];
        e++;
      }
  const dense = rowStart[P] === P * T;
  // bootstrap: one multinomial resample of the prompts per replicate
  const boot = new Float64Array(T * R).fill(Number.NaN);
  if (P > 0) {
    const rng = Rng.derive(options.seed, 'bootstrap', options.key);
    const mult = new Int32Array(P);
    const num = new Float64Array(T);
    const den = new Float64Array(T);
    for (let r = 0; r < R; r++) {
      mult.fill(0);
      for (let k = 0; k < P; k++) mult[rng.int(P)]++;
      num.fill(0);
      if (dense) {
        // every prompt scored at every target: the weights always sum to P
        for (let p = 0; p < P; p++) {
          const m = mult[p];
          if (m === 0) continue;
          const row = p * T;
          for (let j = 0; j < T; j++) num[j] += m * vals[row + j];
        }
        for (let j = 0; j < T; j++) boot[j * R + r] = num[j] / P;
        continue;
      }
      den.fill(0);
      for (let p = 0; p < P; p++) {
        const m = mult[p];
        if (m === 0) continue;
        for (let e = rowStart[p]; e < rowStart[p + 1]; e++) {
          const j = cols[e];
          num[j] += m * vals[e];
          den[j] += m;
        }
      }
      for (let j = 0; j < T; j++) if (den[j] > 0) boot[j * R + r] = num[j] / den[j];
    }
  }
  const keep: number[] = [];
  for (let j = 0; j < T; j++) if (count[j] > 0) keep.push(j);
  const curve: IclCurve = {
    key: options.key,
    label: options.label,
    examples: new Int32Array(keep.length),
    mean: new Float64Array(keep.length),
    lo: new Float64Array(keep.length),
    hi: new Float64Array(keep.length),
    count: new Int32Array(keep.length),
  };
  keep.forEach((j, k) => {
    const mean = sum[j] / count[j];
    const reps = boot.subarray(j * R, (j + 1) * R).filter((v) => !Number.isNaN(v));
    reps.sort();
    curve.examples[k] = examples[j];
    curve.mean[k] = mean;
    curve.lo[k] = quantileSorted(reps, qLo);
    curve.hi[k] = quantileSorted(reps, qHi);
    curve.count[k] = count[j];
  });
  return curve;
}
