/**
 * TEMPORARY: stands in for src/tasks/index.ts and the src/eval baselines helper until they land.
 * Delete once the real modules exist.
 */
import type { IclCurve, IclCurveSet, ProgressCallback } from '../eval/types';
import { chainOfThought } from '../tasks/chain-of-thought';
import { decisionTree } from '../tasks/decision-tree';
import { linearRegression } from '../tasks/linear-regression';
import { manyOutlierRegression } from '../tasks/many-outlier-regression';
import { orthogonalOutlierRegression } from '../tasks/orthogonal-outlier-regression';
import { reluNnRegression } from '../tasks/relu-nn-regression';
import { sparseLinearRegression } from '../tasks/sparse-linear-regression';
import { sparseParity } from '../tasks/sparse-parity';
import { vectorMqar } from '../tasks/vector-mqar';
import { evaluationBatches } from '../tasks/stream';
import type { CurriculumSpec, TaskDefinition, TaskName } from '../tasks/types';

// biome-ignore lint/suspicious/noExplicitAny: temporary shim
export const TASKS: TaskDefinition<any>[] = [
  linearRegression,
  sparseLinearRegression,
  reluNnRegression,
  decisionTree,
  orthogonalOutlierRegression,
  manyOutlierRegression,
  sparseParity,
  vectorMqar,
  chainOfThought,
];
export function isTaskName(name: string): name is TaskName {
  return TASKS.some((t) => t.name === name);
}
// biome-ignore lint/suspicious/noExplicitAny: temporary shim
export function getTask(name: TaskName): TaskDefinition<any> {
  const task = TASKS.find((t) => t.name === name);
  if (!task) throw new Error(`unknown task ${name}`);
  return task;
}

export function evaluateBaselines<P>(
  task: TaskDefinition<P>,
  params: P,
  curriculum: CurriculumSpec,
  opts: { prompts: number; seed: number; onProgress?: ProgressCallback },
): IclCurveSet {
  const sums: number[] = [];
  const zeroSums: number[] = [];
  let n = 0;
  let seen = 0;
  let norm = 1;
  for (const batch of evaluationBatches(task, params, curriculum, opts.seed, opts.prompts)) {
    const ex = batch.examples!;
    norm = batch.heads[0].spec.normalisation;
    n = ex.nPoints;
    const d = ex.dim;
    for (let b = 0; b < batch.batchSize; b++) {
      for (let i = 0; i < n; i++) {
        // gradient-descent-free min-norm LS is overkill for a shim: ridge with tiny lambda
        const a = new Float64Array(d * d);
        const r = new Float64Array(d);
        for (let j = 0; j < i; j++) {
          const off = (b * n + j) * d;
          const y = ex.ys[b * n + j];
          for (let p = 0; p < d; p++) {
            r[p] += ex.xs[off + p] * y;
            for (let q = 0; q < d; q++) a[p * d + q] += ex.xs[off + p] * ex.xs[off + q];
          }
        }
        for (let p = 0; p < d; p++) a[p * d + p] += 1e-6;
        const w = solve(a, r, d);
        const off = (b * n + i) * d;
        let pred = 0;
        for (let p = 0; p < d; p++) pred += w[p] * ex.xs[off + p];
        const y = ex.ys[b * n + i];
        sums[i] = (sums[i] ?? 0) + (pred - y) ** 2 / norm;
        zeroSums[i] = (zeroSums[i] ?? 0) + (y * y) / norm;
      }
      seen++;
      opts.onProgress?.(seen, opts.prompts, 'least squares');
    }
  }
  const curve = (key: string, label: string, s: number[]): IclCurve => {
    const mean = Float64Array.from(s, (v) => v / seen);
    return {
      key,
      label,
      examples: Int32Array.from({ length: n }, (_, i) => i),
      mean,
      lo: mean.map((v) => v * 0.9),
      hi: mean.map((v) => v * 1.1),
      count: new Int32Array(n).fill(seen),
    };
  };
  return {
    task: task.name,
    head: 'y',
    metric: 'squared-error',
    yLabel: 'squared error / d',
    chance: 1,
    prompts: seen,
    seed: opts.seed,
    curves: [curve('least-squares', 'Least squares', sums), curve('zero', 'Zero', zeroSums)],
  };
}

function solve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    const p = m[c * n + c];
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c] / p;
      for (let k = c; k < n; k++) m[r * n + k] -= f * m[c * n + k];
      x[r] -= f * x[c];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r];
    for (let k = r + 1; k < n; k++) s -= m[r * n + k] * x[k];
    x[r] = s / m[r * n + r];
  }
  return x;
}
