/// <reference lib="webworker" />
/**
 * The checkpoint-probe worker: saved checkpoints loaded and probed for the page's scrubber, in a
 * backend of its own (the training workers are left alone). Protocol: protocol.ts; the work:
 * session.ts.
 */
import * as Comlink from 'comlink';
import { modelKernels } from '../../kernels';
import { pickBackend } from '../backend';
import { commandsOf } from '../commands';
import { answerHeartbeats } from '../watchdog';
import { CHECKPOINT_PROBE_COMMANDS, type CheckpointProbeWorkerApi } from './protocol';
import { CheckpointProbeSession } from './session';

const session = new CheckpointProbeSession({
  pickBackend,
  transfer: Comlink.transfer,
  trainerOptions: () => ({ kernels: modelKernels() }),
});

self.addEventListener('unhandledrejection', (event) => {
  // a failed probe is answered { ok: false } by the session; nothing else may take the worker down
  event.preventDefault();
});

// the page's heartbeat (src/workers/watchdog.ts)
answerHeartbeats(self);

Comlink.expose(commandsOf<CheckpointProbeWorkerApi>(session, CHECKPOINT_PROBE_COMMANDS));
