/**
 * What the checkpoint-probe worker does, free of worker plumbing (it runs under vitest on cpu): models
 * rebuilt from the experiment, loaded from saved checkpoints and probed. See protocol.ts.
 */
import type { Experiment } from '../../schema/experiment';
import { parseExperiment } from '../../schema/experiment';
import { describeLoadReport, loadCheckpoint } from '../../train/checkpoint';
import { Trainer, type TrainerOptions } from '../../train/trainer';
import type { BackendName, BackendReport } from '../backend-types';
import { describeError, probeArrays, type Result } from '../training/protocol';
import { ownProbe, probePromptBatch } from '../training/session';
import {
  type CheckpointProbeAnswer,
  type CheckpointProbeRequest,
  type CheckpointProbeWorkerApi,
  checkpointProbeOptionsSchema,
  checkpointProbeRequestSchema,
} from './protocol';

export interface CheckpointProbeDeps {
  pickBackend(order?: readonly BackendName[]): Promise<BackendReport>;
  /** Comlink.transfer in the worker; identity in tests */
  transfer<T>(value: T, transferables: Transferable[]): T;
  trainerOptions?: (backend: BackendReport | null) => TrainerOptions;
}

interface Loaded {
  trainer: Trainer;
  /** the checkpoint it holds (null: its initialisation) */
  key: string | null;
}

export class CheckpointProbeSession implements CheckpointProbeWorkerApi {
  private backend: BackendReport | null = null;
  private backendPromise: Promise<BackendReport> | null = null;
  private experiment: Experiment | null = null;
  private signature = '';
  private implicitAttention = true;
  private readonly models = new Map<number, Loaded>();
  private disposed = false;

  constructor(private readonly deps: CheckpointProbeDeps) {}

  private freeModels(): void {
    for (const m of this.models.values()) m.trainer.dispose();
    this.models.clear();
  }

  async configure(
    experimentInput: unknown,
    optionsInput?: unknown,
  ): Promise<Result<{ backend: BackendReport }>> {
    if (this.disposed) return { ok: false, error: 'this worker was disposed' };
    const parsed = parseExperiment(experimentInput);
    if (!parsed.ok) return { ok: false, error: `Bad experiment: ${parsed.errors.join('; ')}` };
    const options = checkpointProbeOptionsSchema.safeParse(optionsInput ?? {});
    if (!options.success) return { ok: false, error: `Bad options: ${describeError(options.error)}` };
    if (!this.backendPromise) {
      this.backendPromise = this.deps.pickBackend(options.data.backends);
      this.backendPromise.catch(() => {
        this.backendPromise = null;
      });
    }
    try {
      this.backend = await this.backendPromise;
    } catch (error) {
      return { ok: false, error: describeError(error) };
    }
    const signature = JSON.stringify(parsed.experiment);
    if (signature !== this.signature) this.freeModels();
    this.signature = signature;
    this.experiment = parsed.experiment;
    this.implicitAttention = options.data.implicitAttention;
    return { ok: true, backend: this.backend };
  }

  private modelFor(index: number): Loaded {
    const e = this.experiment!;
    let m = this.models.get(index);
    if (!m) {
      const extra = this.deps.trainerOptions?.(this.backend) ?? {};
      m = { trainer: new Trainer(e, index, extra), key: null };
      this.models.set(index, m);
    }
    return m;
  }

  async probe(request: CheckpointProbeRequest): Promise<Result<CheckpointProbeAnswer>> {
    const e = this.experiment;
    if (!e || this.disposed) return { ok: false, error: 'not configured' };
    const req = checkpointProbeRequestSchema.safeParse(request);
    if (!req.success) return { ok: false, error: `Bad probe request: ${describeError(req.error)}` };
    const { modelIndex, key, model, prompt } = req.data;
    if (modelIndex >= e.models.length) {
      return { ok: false, error: `Bad model index ${modelIndex}: the experiment has ${e.models.length}` };
    }
    let loaded: Loaded;
    try {
      loaded = this.modelFor(modelIndex);
    } catch (error) {
      return { ok: false, error: `Cannot build the model: ${describeError(error)}` };
    }
    const t = loaded.trainer;
    if (loaded.key !== key) {
      loaded.key = null;
      try {
        const report = await loadCheckpoint(t, { model });
        if (!report.ok) {
          return { ok: false, error: `Checkpoint not loaded: ${describeLoadReport(report).join('; ')}` };
        }
      } catch (error) {
        return { ok: false, error: `Checkpoint not loaded: ${describeError(error)}` };
      }
      loaded.key = key;
    }
    let batch: Parameters<Trainer['probe']>[0];
    if (prompt !== undefined) {
      const checked = probePromptBatch(prompt, t);
      if (!checked.ok) return checked;
      batch = checked.batch;
    }
    try {
      const result = ownProbe(await t.probe(batch, { implicitAttention: this.implicitAttention }));
      const buffers = probeArrays(result).map((a) => a.buffer as ArrayBuffer);
      return this.deps.transfer({ ok: true as const, step: t.stepCount, result }, [...new Set(buffers)]);
    } catch (error) {
      return { ok: false, error: `Probe failed: ${describeError(error)}` };
    }
  }

  async dispose(): Promise<void> {
    this.freeModels();
    this.disposed = true;
  }

  /** For tests: how many models are built. */
  get modelCount(): number {
    return this.models.size;
  }
}
