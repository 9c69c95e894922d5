/**
 * Every numeric bound of the experiment, in one place. The zod schemas (experiment.ts,
 * architecture.ts) are built from these, and every consumer that takes the same quantity from
 * elsewhere (the baselines and training workers' requests, the CLI's flags, the checkpoint
 * validator) reads them here, so a value the schema accepts is never refused further down
 * (src/workers/limits.test.ts checks the maxima against each consumer).
 */

/** An inclusive integer range. */
export interface IntRange {
  readonly min: number;
  readonly max: number;
}

export const LIMITS = {
  /** curriculum schedules: values (dimensions, examples per prompt), growth, interval in steps */
  schedule: {
    value: { min: 1, max: 4096 },
    inc: { min: 0, max: 4096 },
    interval: { min: 1, max: 10_000_000 },
  },
  /** training steps of a run; also the largest step a checkpoint may record */
  steps: { min: 1, max: 10_000_000 },
  warmupSteps: { min: 0, max: 1_000_000 },
  batchSize: { min: 1, max: 1024 },
  seed: { min: 0, max: 0xffffffff },
  evaluation: {
    prompts: { min: 16, max: 12_800 },
    everySteps: { min: 1, max: 1_000_000 },
    bootstrap: { min: 0, max: 10_000 },
  },
  model: {
    count: { min: 1, max: 6 },
    dModel: { min: 4, max: 1024 },
    nLayer: { min: 1, max: 24 },
    nHead: { min: 1, max: 32 },
    dState: { min: 1, max: 64 },
    dConv: { min: 1, max: 8 },
    expand: { min: 1, max: 4 },
  },
} as const satisfies Record<string, IntRange | Record<string, IntRange>>;
