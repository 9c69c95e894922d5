import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useModelField } from '../../app';
import { type PredictionRow, predictionRows } from '../../app/probe/probe-lab';
import { useProbeLab } from '../../app/probe/probe-lab-instance';

/** Every model's answer at the query of the prompt shown (re-computed only when an input changes). */
export function usePredictionRows(): PredictionRow[] {
  const slots = useModelField('slot');
  const archs = useModelField('arch');
  const labels = useModelField('label');
  const probes = useModelField('probe');
  const probeSteps = useModelField('probeStep');
  const shown = useProbeLab(
    useShallow((s) => ({
      draft: s.draft,
      edited: s.edited,
      edits: s.edits,
      replayStep: s.replayStep,
      replays: s.replays,
    })),
  );
  return useMemo(
    () =>
      predictionRows(
        shown,
        slots.map((slot, i) => ({
          slot,
          arch: archs[i],
          label: labels[i],
          probe: probes[i],
          probeStep: probeSteps[i],
        })),
      ),
    [shown, slots, archs, labels, probes, probeSteps],
  );
}
