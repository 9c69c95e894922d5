/**
 * One place for every bound: an experiment at the schema's maxima (src/schema/limits.ts) is
 * accepted, unchanged, by each consumer that receives it: the baselines worker's request, the
 * training worker's session options, the share link. (Building a trainer at the maxima is too heavy
 * for a unit test; the CLI's flags read the same LIMITS.)
 */
import { describe, expect, it } from 'vitest';
import { decodeShareFragment, encodeShareFragment } from '../formats/share-link';
import { type Experiment, parseExperiment } from '../schema/experiment';
import { LIMITS } from '../schema/limits';
import { TASKS } from '../tasks';
import { computeBaselines } from '../workers/baselines/compute';
import { baselinesRequestSchema } from '../workers/baselines/protocol';
import { sessionOptionsSchema } from '../workers/training/protocol';
import { baselinesRequestFor } from './stores/lab-store';

const S = LIMITS.schedule;

/** The task's default experiment with every task-independent field at its maximum. */
function atMaxima(task: string): Experiment {
  const base = parseExperiment({ version: 1, task: { name: task } });
  if (!base.ok) throw new Error(base.errors.join('; '));
  const c = base.experiment.curriculum;
  const parsed = parseExperiment({
    version: 1,
    task: { name: task },
    models: Array.from({ length: LIMITS.model.count.max }, () => ({
      arch: 'transformer',
      dModel: LIMITS.model.dModel.max,
      nLayer: LIMITS.model.nLayer.max,
      nHead: LIMITS.model.nHead.max,
    })),
    optimizer: { warmupSteps: LIMITS.warmupSteps.max },
    batchSize: LIMITS.batchSize.max,
    steps: LIMITS.steps.max,
    seed: LIMITS.seed.max,
    curriculum: {
      dims: { start: c.dims.end, end: c.dims.end, inc: S.inc.max, interval: S.interval.max },
      points: { start: c.points.end, end: c.points.end, inc: S.inc.max, interval: S.interval.max },
    },
    evaluation: {
      prompts: LIMITS.evaluation.prompts.max,
      everySteps: LIMITS.evaluation.everySteps.max,
      bootstrap: LIMITS.evaluation.bootstrap.max,
    },
  });
  if (!parsed.ok) throw new Error(`${task}: ${parsed.errors.join('; ')}`);
  return parsed.experiment;
}

describe('the schema’s maxima are accepted by every consumer', () => {
  for (const { name } of TASKS) {
    it(`${name}: baselines request, session options, share link`, () => {
      const e = atMaxima(name);
      expect(e.evaluation.prompts).toBe(12_800);

      const request = baselinesRequestSchema.safeParse(baselinesRequestFor(e));
      expect(request.success, request.error?.message).toBe(true);

      const session = sessionOptionsSchema.safeParse({
        evalPrompts: e.evaluation.prompts,
        evalEverySteps: e.evaluation.everySteps,
        checkpointEverySteps: e.steps,
      });
      expect(session.success, session.error?.message).toBe(true);

      const link = decodeShareFragment(encodeShareFragment(e));
      expect(link?.warnings).toEqual([]);
      expect(link?.experiment).toEqual(e);
    });
  }

  it('the baselines worker takes the largest prompt count past its request check (the bug: 4096)', () => {
    const e = atMaxima(TASKS[0].name);
    // an unknown task stops it right after the request check, before any computing
    const r = computeBaselines({ ...baselinesRequestFor(e), task: 'no-such-task' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBe('Unknown task "no-such-task".');
    const over = computeBaselines({ ...baselinesRequestFor(e), prompts: LIMITS.evaluation.prompts.max + 1 });
    expect(over.ok).toBe(false);
    if (!over.ok) expect(over.error).toMatch(/^Bad baselines request: prompts/);
  });
});
