/**
 * The typed protocol of the checkpoint-probe worker (src/workers/checkpoint-probe/checkpoint-probe.worker.ts): the page's scrubber over
 * saved checkpoints. The worker holds one model per model index of the experiment (no optimiser
 * state, no training loop), loads a checkpoint into it (strictly) and probes it on a prompt, in its
 * own TensorFlow.js backend: the training workers are never asked anything, so an ongoing race is
 * never held up or changed.
 *
 * Everything the worker receives is validated (the experiment by src/schema, the options and
 * requests by the zod schemas below, the checkpoint by the strict loader, the prompt by
 * probePromptSchema); a bad call is answered `{ ok: false, error }`, never thrown.
 */
import { z } from 'zod';
import type { ProbeResult } from '../../models/probes';
import { BACKEND_ORDER, type BackendReport } from '../backend-types';
import type { CommandList } from '../commands';
import type { ProbePrompt, Result } from '../training/protocol';

export const checkpointProbeOptionsSchema = z
  .object({
    /** backends to try, in order (default webgpu, webgl, wasm, cpu) */
    backends: z.array(z.enum(BACKEND_ORDER)).min(1).max(4).optional(),
    /** compute Mamba's implicit attention in probes */
    implicitAttention: z.boolean().default(true),
  })
  .strict();

export type CheckpointProbeOptionsInput = z.input<typeof checkpointProbeOptionsSchema>;

export interface CheckpointProbeRequest {
  /** which model of the experiment */
  modelIndex: number;
  /** names the checkpoint: the same key twice is loaded once */
  key: string;
  /** safetensors: the model's state_dict */
  model: Uint8Array;
  /** the prompt to probe (default: the experiment's probe prompt) */
  prompt?: ProbePrompt;
}

export const checkpointProbeRequestSchema = z
  .object({
    modelIndex: z.number().int().min(0).max(63),
    key: z.string().min(1).max(300),
    model: z.instanceof(Uint8Array),
    prompt: z.unknown().optional(),
  })
  .strict();

export interface CheckpointProbeAnswer {
  /** the step the checkpoint was saved at */
  step: number;
  result: ProbeResult;
}

export interface CheckpointProbeWorkerApi {
  /** Validate the experiment and pick the backend (first call); models of another experiment are freed. */
  configure(experiment: unknown, options?: unknown): Promise<Result<{ backend: BackendReport }>>;
  /** Load checkpoint `key` into model `modelIndex` (unless it holds it already), then probe it. */
  probe(request: CheckpointProbeRequest): Promise<Result<CheckpointProbeAnswer>>;
  /** Free every tensor (the page then terminates the worker). */
  dispose(): Promise<void>;
}

/** Every command of CheckpointProbeWorkerApi at run time (complete: the type checker says so). */
export const CHECKPOINT_PROBE_COMMANDS = {
  configure: true,
  probe: true,
  dispose: true,
} as const satisfies CommandList<CheckpointProbeWorkerApi>;
