/** Tiny experiments for the training tests (cpu backend, a few ms per step). */
import type { Architecture } from '../schema/architecture';
import { type Experiment, parseExperiment } from '../schema/experiment';
import type { TaskName } from '../tasks/types';

export function tinyExperiment(
  archs: readonly Architecture[] = ['transformer'],
  overrides: Record<string, unknown> = {},
  task: TaskName = 'linear-regression',
  params: Record<string, unknown> = { d: 2, nPoints: 4 },
): Experiment {
  const parsed = parseExperiment({
    version: 1,
    task: { name: task, params },
    models: archs.map((arch) => ({ arch, dModel: 8, nLayer: 1, nHead: 2, dState: 4, dConv: 2 })),
    optimizer: { lr: 1e-3 },
    batchSize: 4,
    steps: 50,
    seed: 3,
    evaluation: { prompts: 16, everySteps: 10, bootstrap: 10 },
    ...overrides,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.experiment;
}
