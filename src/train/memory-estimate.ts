/**
 * What training an experiment needs in memory, before anything is built: a pure estimate the page
 * checks before Train and on every settings change (src/app/race/memory-guard.ts), so that settings
 * too large for the device are refused with a reason instead of stalling the browser.
 *
 * Per model: parameters (float32), their gradients and Adam's two moments (4 x 4 bytes each), and
 * the peak of a training step above that (activations kept for the backward pass, the batched
 * matrix products' copies, attention scores). The peak's shape comes from tfjs's autodiff and was
 * fitted to `tf.profile(...).peakBytes` of real steps on the cpu backend with the workers' kernels
 * (src/workers/training/memory-estimate.test.ts checks it against fresh measurements):
 *   peak = 32 B P + 60 B S W L + 8 B H S^2 A + 2 MB
 * with B the batch, P the parameters, S the prompt length, W the block width (D, or the expanded
 * width for Mamba blocks), L the blocks, H the heads and A the attention blocks. The largest single
 * buffer (WebGPU's maxBufferSize applies to it) is the largest of the attention scores
 * [B, H, S, S], the widest activation [B, S, 4D or 2 E D] and the batched weight copies.
 * Parameter counts follow the block plans of src/models/model.ts closely (checked within 10 %),
 * without building anything (the page never loads tfjs or the models).
 *
 * On WebGPU the fused kernels keep far less: measured with bench/memory.ts (Dawn; tensors resident
 * between steps plus `tf.profile`'s step peak, and the buffer manager's allocation), the cpu formula is
 * 3.2-7x above what a step holds for every architecture without S4 blocks, and 1.15x for S4-Mamba
 * (its causal convolution is one Toeplitz matmul per channel). So for 'webgpu' the step's peak of a
 * model without S4 blocks is a third of the cpu formula: still above every measurement
 * (bench/memory-estimate.test.ts holds it against bench/fixtures/memory-webgpu.json).
 */
import type { ModelSpec } from '../schema/architecture';
import type { Experiment } from '../schema/experiment';
import { type GenericTask, TASKS } from '../tasks';
import { probeBatch } from '../tasks/stream';
import type { ReadIn } from '../tasks/types';

export interface ModelMemory {
  parameters: number;
  /** parameters, gradients and Adam's moments */
  stateBytes: number;
  /** the peak of one training step above the state */
  stepBytes: number;
  /** stateBytes + stepBytes */
  totalBytes: number;
  /** the largest single tensor of a step (bytes) */
  largestBufferBytes: number;
}

export interface ExperimentMemory {
  /** prompt length at the curriculum's end */
  seqLen: number;
  models: ModelMemory[];
  /** every model at once (one worker per model, all in the same browser) */
  totalBytes: number;
  largestBufferBytes: number;
}

const F32 = 4;
/** the fitted coefficients (see the file comment) */
const PER_PARAM_PER_PROMPT = 32;
const PER_ACTIVATION = 60;
const PER_SCORE = 8;
const FIXED_STEP_BYTES = 2 * 1024 * 1024;
/** WebGPU's step peak relative to the cpu formula, for models without S4 blocks (see the file comment) */
export const WEBGPU_STEP_FACTOR = 1 / 3;

/** The backend whose memory the estimate describes: WebGPU with the fused kernels, or the others. */
export type MemoryBackend = 'cpu' | 'webgpu';

type Block = 'gpt2' | 'attention' | 'mamba' | 's4' | 's4-mamba';

/** The blocks of a model, in the order of src/models/model.ts's blockPlan. */
export function blocksOf(spec: Pick<ModelSpec, 'arch' | 'nLayer'>): Block[] {
  const n = spec.nLayer;
  const alternate = Array.from({ length: n }, (_, i): Block => (i % 2 === 0 ? 'attention' : 'mamba'));
  switch (spec.arch) {
    case 'transformer':
      return Array(n).fill('gpt2');
    case 'mamba':
      return Array(n).fill('mamba');
    case 'hybrid':
      return alternate;
    case 'mambaformer':
      return ['mamba', ...alternate];
    case 's4':
      return Array(n).fill('s4');
    case 's4-mamba':
      return Array(n).fill('s4-mamba');
  }
}

function blockParameters(block: Block, m: ModelSpec): number {
  const D = m.dModel;
  const Di = m.expand * D;
  const N = m.dState;
  const K = m.dConv;
  const R = Math.ceil(D / 16);
  switch (block) {
    case 'gpt2':
      return 12 * D * D + 13 * D;
    case 'attention':
      return 4 * D * D + 6 * D;
    case 'mamba':
      return 3 * D * Di + Di * (K + 1) + Di * (R + 2 * N) + R * Di + Di + Di * N + Di + D;
    case 's4':
      return 2 * D * D + 2 * D + 2 * D * N + 2 * D + 2 * D;
    case 's4-mamba':
      return 3 * D * Di + Di * (K + 1) + 2 * Di * N + 2 * Di + D;
  }
}

function readInParameters(readIn: ReadIn, D: number): number {
  switch (readIn.kind) {
    case 'linear':
      return readIn.tokenDim * D + D;
    case 'linear-per-kind':
      return readIn.tokenDims.reduce((a, t) => a + t * D + D, 0);
    case 'embedding':
      return readIn.vocabSize * D;
  }
}

/** A model's parameter count, from its settings and the task's read-in and heads. */
export function estimateParameters(
  m: ModelSpec,
  readIn: ReadIn,
  headDims: readonly number[],
  seqLen: number,
): number {
  const D = m.dModel;
  let n = readInParameters(readIn, D) + 2 * D;
  if (m.positionEmbedding) n += seqLen * D * (m.arch === 'transformer' ? 2 : 1);
  for (const block of blocksOf(m)) n += blockParameters(block, m);
  for (const dim of headDims) n += D * dim + dim;
  return n;
}

/** One model's memory for training at batch `batch` on prompts of length `seqLen`. */
export function modelMemory(
  m: ModelSpec,
  readIn: ReadIn,
  headDims: readonly number[],
  seqLen: number,
  batch: number,
  backend: MemoryBackend = 'cpu',
): ModelMemory {
  const P = estimateParameters(m, readIn, headDims, seqLen);
  const blocks = blocksOf(m);
  const D = m.dModel;
  const heads = m.nHead;
  let activations = 0;
  let scores = 0;
  let widest = 4 * D;
  for (const block of blocks) {
    const wide = block === 'mamba' || block === 's4-mamba';
    activations += wide ? m.expand * D : D;
    if (wide) widest = Math.max(widest, 2 * m.expand * D);
    if (block === 'gpt2' || block === 'attention') scores += heads;
  }
  const cpuStepBytes =
    PER_PARAM_PER_PROMPT * batch * P +
    PER_ACTIVATION * batch * seqLen * activations +
    PER_SCORE * batch * seqLen * seqLen * scores +
    FIXED_STEP_BYTES;
  const s4 = blocks.some((b) => b === 's4' || b === 's4-mamba');
  const stepBytes = backend === 'webgpu' && !s4 ? Math.ceil(cpuStepBytes * WEBGPU_STEP_FACTOR) : cpuStepBytes;
  const stateBytes = 4 * F32 * P;
  const attention = scores > 0 ? batch * heads * seqLen * seqLen : 0;
  const largestBufferBytes = F32 * Math.max(attention, batch * seqLen * widest, batch * widest * D);
  return { parameters: P, stateBytes, stepBytes, totalBytes: stateBytes + stepBytes, largestBufferBytes };
}

/** Every model of an experiment (one worker each), at the curriculum's full size, on `backend`. */
export function estimateExperimentMemory(e: Experiment, backend: MemoryBackend = 'cpu'): ExperimentMemory {
  const task = TASKS.find((t) => t.name === e.task.name) as GenericTask | undefined;
  if (!task) throw new Error(`unknown task "${e.task.name}"`);
  const params = e.task.params as never;
  const seqLen = probeBatch(task, params, e.curriculum, e.seed).seqLen;
  const readIn = task.readIn(params);
  const headDims = task.heads(params).map((h) => h.dim);
  const models = e.models.map((m) => modelMemory(m, readIn, headDims, seqLen, e.batchSize, backend));
  return {
    seqLen,
    models,
    totalBytes: models.reduce((a, m) => a + m.totalBytes, 0),
    largestBufferBytes: Math.max(0, ...models.map((m) => m.largestBufferBytes)),
  };
}
