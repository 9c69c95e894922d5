/**
 * The page's probe lab, wired to the page's stores and race controller (src/app/index.ts), and
 * the hook components read it with. The checkpoint-probe worker starts only when the scrubber is used.
 */
import { useStore } from 'zustand';
import { createCheckpointProbeClient } from '../../workers/checkpoint-probe/client';
import { experimentStore, liveStore, race, SESSION_OPTIONS } from '../index';
import { ProbeLab, type ProbeLabState } from './probe-lab';

export const probeLab = new ProbeLab({
  experiment: experimentStore,
  live: liveStore,
  race,
  spawnReplay: () => createCheckpointProbeClient(),
  replayOptions: { backends: SESSION_OPTIONS.backends },
});

export const probeStore = probeLab.store;

export const useProbeLab = <T>(selector: (s: ProbeLabState) => T): T => useStore(probeStore, selector);
