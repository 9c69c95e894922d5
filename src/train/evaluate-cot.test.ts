import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ArchKind } from '../models/config';
import { buildModel, type HeadPositions, type SequenceModel } from '../models/model';
import { chainOfThought, chainOfThoughtParams } from '../tasks/chain-of-thought';
import { COT_EVAL_ROWS, predictEvaluation } from './evaluate';

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

  /**
   * The grouped passes (several queries a forward pass, read at each row's own s token) against one
   * pass per query over its first 3 i + 2 tokens, on real models (a causal conv + scan and causal
   * attention): the same numbers. 64 prompts x 6 queries: 4 queries a pass, so the second pass holds
   * the 2 left over and is cut shorter.
   */
  it.each<ArchKind>(['mamba', 'mambaformer', 'transformer'])(
    'gives %s the y of one pass per query, from grouped passes',
    async (arch) => {
      const params = chainOfThoughtParams.parse({ d: 3, nPoints: 6, hidden: 2 });
      const block = { dState: 4, dConv: 4, expand: 2 };
      const config =
        arch === 'transformer'
          ? { arch, dModel: 8, nLayer: 2, nHead: 2, positionEmbedding: true, maxPositions: 32 }
          : { arch, dModel: 8, nLayer: 2, nHead: 2, positionEmbedding: false, ...block };
      const model = buildModel(config, chainOfThought.readIn(params), chainOfThought.heads(params), 4);
      try {
        const pred = await predictEvaluation(
          model,
          chainOfThought,
          params,
          chainOfThought.curriculum(params),
          {
            seed: 2,
            prompts: 64,
          },
        );
        const { batch, outputs } = pred.chunks[0];
        const [B, L, D] = [batch.batchSize, batch.seqLen, batch.tokenDim];
        const yHead = batch.heads.findIndex((h) => h.spec.name === 'y');
        const sHead = batch.heads.findIndex((h) => h.spec.name === 's');
        const n = batch.heads[yHead].positions.length;
        expect(n % Math.floor(COT_EVAL_ROWS / B)).not.toBe(0);
        const k = params.hidden;
        let worst = 0;
        for (let i = 0; i < n; i++) {
          const sTok = batch.heads[yHead].positions[i];
          const len = sTok + 1;
          const tokens = new Float32Array(B * len * D);
          for (let b = 0; b < B; b++) {
            tokens.set(batch.tokens.subarray(b * L * D, (b * L + len) * D), b * len * D);
            for (let j = 0; j < k; j++)
              tokens[(b * len + sTok) * D + j] = outputs[sHead][(b * n + i) * k + j];
          }
          const outs = model.forward(tf.tensor3d(tokens, [B, len, D]), batch.tokenKinds.subarray(0, len), [
            Int32Array.of(sTok),
            Int32Array.of(sTok - 1),
          ]);
          const y = outs[yHead].dataSync();
          for (const o of outs) o.dispose();
          for (let b = 0; b < B; b++) worst = Math.max(worst, Math.abs(y[b] - outputs[yHead][b * n + i]));
        }
        expect(worst).toBeLessThan(1e-5);
      } finally {
        model.dispose();
      }
    },
  );
});
