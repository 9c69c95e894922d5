/**
 * Checkpoints written by PyTorch load here and compute what PyTorch computed. The fixtures in
 * bench/fixtures/pytorch/ were made on the H200 machine by bench/checkpoint_crosscheck.py: an ICL
 * Lab checkpoint (paper size, 3 steps from seed 0) loaded into the authors' module layout (HF
 * GPT2Model for the Transformer, mamba_ssm MixerModel names for MambaFormer) with
 * `load_state_dict`, one Adam step in PyTorch, then `save_file(model.state_dict())` and PyTorch's
 * predictions on 8 evaluation prompts. Here: strict load (names, shapes, dtypes) and the same
 * predictions within 1e-4 relative.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Architecture } from '../src/schema/architecture';
import { loadCheckpoint } from '../src/train/checkpoint';
import { readSafetensors } from '../src/train/safetensors';
import { predict, trainerFor } from './checkpoint-export';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'pytorch');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('PyTorch state_dicts load into ICL Lab', () => {
  for (const arch of ['transformer', 'mambaformer'] as Architecture[]) {
    it(`${arch}: strict load, PyTorch's predictions reproduced`, async () => {
      const trainer = trainerFor(arch);
      try {
        const bytes = new Uint8Array(readFileSync(join(FIXTURES, `${arch}.torch.safetensors`)));
        const report = await loadCheckpoint(trainer, { model: bytes });
        expect(report.errors).toEqual([]);
        expect(report.missing).toEqual([]);
        expect(report.unexpected).toEqual([]);
        expect(report.shapeMismatches).toEqual([]);
        expect(report.ok).toBe(true);
        const io = readSafetensors(
          new Uint8Array(readFileSync(join(FIXTURES, `${arch}.torch-io.safetensors`))),
        );
        const tokens = io.tensors.get('tokens')!;
        const expected = io.tensors.get('pred')!.data;
        const [b, l, d] = tokens.shape;
        const got = await predict(trainer, tokens.data as Float32Array, b, l, d);
        let maxDiff = 0;
        let maxRef = 0;
        for (let i = 0; i < got.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
          maxRef = Math.max(maxRef, Math.abs(expected[i]));
        }
        expect(maxRef).toBeGreaterThan(0.1);
        expect(maxDiff / maxRef).toBeLessThan(1e-4);
      } finally {
        trainer.dispose();
      }
    }, 300_000);
  }
});
