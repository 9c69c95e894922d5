import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HeadPositions, SequenceModel } from '../models/model';
import { chainOfThought, chainOfThoughtParams } from '../tasks/chain-of-thought';
import { predictEvaluation } from './evaluate';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const S_GUESS = 0.5;

/**
 * A causal stand-in for a model (test only, synchronous readback is fine here): the s head predicts
 * S_GUESS in every dim; the y head at token p outputs sum(token p's first k features) + 10 x
 * sum(token p - 3's first k features), i.e. the s token it is read at plus 10 x the previous s token.
 */
function fakeModel(k: number): SequenceModel {
  const forward = (tokens: tf.Tensor3D, _kinds: Uint8Array, positions?: HeadPositions): tf.Tensor3D[] => {
    const t = tokens.arraySync();
    const [B, L] = tokens.shape;
    const yPos = positions?.[0] ?? Int32Array.from({ length: L }, (_, i) => i);
    const sPos = positions?.[1] ?? Int32Array.from({ length: L }, (_, i) => i);
    const sum = (b: number, p: number) => (p < 0 ? 0 : t[b][p].slice(0, k).reduce((a, v) => a + v, 0));
    const y = Array.from({ length: B }, (_, b) => Array.from(yPos, (p) => [sum(b, p) + 10 * sum(b, p - 3)]));
    const s = Array.from({ length: B }, () => Array.from(sPos, () => Array(k).fill(S_GUESS)));
    return [tf.tensor3d(y), tf.tensor3d(s)];
  };
  return { forward } as unknown as SequenceModel;
}

describe('chain-of-thought evaluation (Li et al.: predict s, feed it back, read y)', () => {
  it("reads y_i with the query's own s replaced by its prediction and earlier s's true", async () => {
    const params = chainOfThoughtParams.parse({ d: 3, nPoints: 4, hidden: 2 });
    const k = params.hidden;
    const pred = await predictEvaluation(
      fakeModel(k),
      chainOfThought,
      params,
      chainOfThought.curriculum(params),
      {
        seed: 1,
        prompts: 5,
      },
    );
    expect(pred.chunks).toHaveLength(1);
    const { batch, outputs } = pred.chunks[0];
    const n = 4;
    const D = batch.tokenDim;
    const trueS = (b: number, i: number) => {
      const at = (b * batch.seqLen + 3 * i + 1) * D;
      return batch.tokens[at] + batch.tokens[at + 1];
    };
    for (let b = 0; b < batch.batchSize; b++) {
      for (let i = 0; i < n; i++) {
        const expected = k * S_GUESS + 10 * (i > 0 ? trueS(b, i - 1) : 0);
        expect(outputs[0][b * n + i]).toBeCloseTo(expected, 4);
      }
    }
    // the s head: the teacher-forced predictions at every x token
    expect(Array.from(outputs[1])).toEqual(Array(batch.batchSize * n * k).fill(S_GUESS));
  });
});
