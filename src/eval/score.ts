/**
 * Scoring of one prediction head, per prompt and per target, for every MetricKind. Used for the
 * models (their read-out at the head's positions) and for the baselines alike.
 */
import type { HeadBatch, MetricKind, PromptBatch } from '../tasks/types';

/** The metric of every (prompt, target) of a head. */
export interface HeadScores {
  metric: MetricKind;
  batchSize: number;
  nTargets: number;
  /** [nTargets] the x axis: in-context examples before each target */
  examplesBefore: Int32Array;
  /** [batch, nTargets] the metric (normalised error, or 1/0 correctness); 0 where not scored */
  values: Float64Array;
  /** [batch, nTargets] 1 where scored: the head's mask is set and a prediction was made */
  scored: Uint8Array;
}

export interface ScoreOptions {
  /** [batch, nTargets] 1 where a prediction was made (all when absent), e.g. a baseline run on a subset */
  evaluated?: Uint8Array;
}

/** Whether larger is better (accuracy metrics) or smaller (errors). */
export function isAccuracyMetric(metric: MetricKind): boolean {
  return metric !== 'squared-error';
}

/** The y-axis label of a metric, e.g. 'squared error / 20' or 'accuracy'. */
export function metricLabel(metric: MetricKind, normalisation = 1): string {
  switch (metric) {
    case 'squared-error':
      return normalisation === 1 ? 'squared error' : `squared error / ${normalisation}`;
    case 'sign-accuracy':
      return 'accuracy (sign)';
    case 'token-accuracy':
      return 'accuracy (token)';
    case 'nearest-value-accuracy':
      return 'accuracy (nearest value)';
    case 'key-match-accuracy':
      return 'accuracy (key match, released code)';
  }
}

/** The width of a head's prediction vectors: spec.dim (the vocabulary size for token heads). */
export function predictionWidth(head: HeadBatch): number {
  return head.spec.dim;
}

/**
 * Score the predictions of head `headIndex` of a batch. `predictions` is
 * [batch, nTargets, width] with width = head.spec.dim (logits for 'token-accuracy').
 *
 * - 'squared-error': sum over the head's dims of (prediction - target)^2, / spec.normalisation;
 * - 'sign-accuracy': 1 when sign(prediction) = target (+-1), 0 when opposite, 0.5 for a prediction
 *   of exactly 0 (the expected accuracy of breaking the tie at random, so the zero predictor scores
 *   chance, 0.5);
 * - 'token-accuracy': 1 when the argmax of the logits (first maximum) is the target id;
 * - 'nearest-value-accuracy': 1 when, among the prompt's value tokens (HeadBatch.recall), the one
 *   nearest to the prediction (Euclidean; ties to the earlier pair) is the target's pair;
 * - 'key-match-accuracy': the released code's metric (Retrieval.classify): 1 when the key with the
 *   largest inner product with the prediction is the key with the largest inner product with the
 *   target value (a perfect predictor scores 1; chance is about 1 / nPairs).
 * Masked targets (mask 0) and targets without a prediction (options.evaluated 0) are not scored.
 */
export function scoreHead(
  batch: PromptBatch,
  headIndex: number,
  predictions: ArrayLike<number>,
  options: ScoreOptions = {},
): HeadScores {
  const head = batch.heads[headIndex];
  if (!head) throw new RangeError(`batch has no head ${headIndex}`);
  const B = batch.batchSize;
  const T = head.positions.length;
  const W = predictionWidth(head);
  if (predictions.length !== B * T * W)
    throw new RangeError(
      `head '${head.spec.name}' needs ${B} x ${T} x ${W} = ${B * T * W} predictions, got ${predictions.length}`,
    );
  const metric = head.spec.metric;
  const values = new Float64Array(B * T);
  const scored = new Uint8Array(B * T);
  const norm = head.spec.normalisation || 1;
  const tDim = head.targetDim;
  const recall = head.recall;
  if ((metric === 'nearest-value-accuracy' || metric === 'key-match-accuracy') && !recall)
    throw new Error(`metric ${metric} needs the head's recall information`);
  const d = batch.tokenDim;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const bt = b * T + t;
      if (!(head.mask[bt] > 0) || (options.evaluated && !options.evaluated[bt])) continue;
      scored[bt] = 1;
      const p0 = bt * W;
      const t0 = bt * tDim;
      let v = 0;
      switch (metric) {
        case 'squared-error': {
          let s = 0;
          for (let c = 0; c < W; c++) {
            const e = predictions[p0 + c] - head.targets[t0 + c];
            s += e * e;
          }
          v = s / norm;
          break;
        }
        case 'sign-accuracy': {
          const p = predictions[p0];
          const y = head.targets[t0];
          v = p === 0 ? 0.5 : p > 0 === y > 0 ? 1 : 0;
          break;
        }
        case 'token-accuracy': {
          let best = 0;
          for (let c = 1; c < W; c++) if (predictions[p0 + c] > predictions[p0 + best]) best = c;
          v = best === Math.round(head.targets[t0]) ? 1 : 0;
          break;
        }
        case 'nearest-value-accuracy': {
          const r = recall!;
          let best = -1;
          let bestScore = Number.POSITIVE_INFINITY;
          for (let j = 0; j < r.nPairs; j++) {
            const tok = (b * batch.seqLen + r.valuePositions[j]) * d;
            let s = 0;
            for (let c = 0; c < W; c++) {
              const e = predictions[p0 + c] - batch.tokens[tok + c];
              s += e * e;
            }
            if (s < bestScore) {
              bestScore = s;
              best = j;
            }
          }
          v = best === r.queriedPair[bt] ? 1 : 0;
          break;
        }
        case 'key-match-accuracy': {
          // Retrieval.classify of the released code: gold = argmax_j <target, k_j>,
          // predicted = argmax_j <prediction, k_j> (first maximum on ties).
          const keys = recall!.keyPositions;
          const at = (vec: ArrayLike<number>, off: number): number => {
            let best = -1;
            let bestDot = Number.NEGATIVE_INFINITY;
            for (let j = 0; j < keys.length; j++) {
              const tok = (b * batch.seqLen + keys[j]) * d;
              let s = 0;
              for (let c = 0; c < W; c++) s += vec[off + c] * batch.tokens[tok + c];
              if (s > bestDot) {
                bestDot = s;
                best = j;
              }
            }
            return best;
          };
          v = at(predictions, p0) === at(head.targets, t0) ? 1 : 0;
          break;
        }
      }
      values[bt] = v;
    }
  }
  return { metric, batchSize: B, nTargets: T, examplesBefore: head.examplesBefore, values, scored };
}
