/**
 * The "In-context error" chart's one curve set: the baselines of the task and each model's latest
 * curve on the same evaluation prompts (the same head), models after baselines.
 */

import { ARCHITECTURE_TITLES, type Architecture } from '../schema/architecture';
import type { IclCurveSet } from './types';

export interface ModelCurves {
  arch: Architecture;
  curves: IclCurveSet[] | null;
  curvesStep: number | null;
}

export function combineCurves(
  baselines: IclCurveSet | null,
  models: readonly ModelCurves[],
): IclCurveSet | null {
  const head = baselines?.head ?? models.find((m) => m.curves?.length)?.curves?.[0]?.head;
  const sets = models
    .map((m) => ({ m, set: m.curves?.find((s) => s.head === head) ?? null }))
    .filter((x): x is { m: ModelCurves; set: IclCurveSet } => x.set !== null && x.set.curves.length > 0);
  if (!baselines && sets.length === 0) return null;
  const base = baselines ?? sets[0].set;
  return {
    ...base,
    curves: [
      ...(baselines?.curves ?? []),
      ...sets.map(({ m, set }) => ({
        ...set.curves[0],
        label: `${ARCHITECTURE_TITLES[m.arch] ?? m.arch} (step ${m.curvesStep ?? 0})`,
      })),
    ],
  };
}

export const isModelCurve = (key: string) => key.startsWith('model:');
