/// <reference lib="webworker" />
/**
 * The replay worker: saved checkpoints loaded and probed for the page's scrubber, in a backend of
 * its own (the training workers are left alone). Protocol: replay-protocol.ts; the work:
 * replay-session.ts.
 */
import * as Comlink from 'comlink';
import { modelKernels } from '../kernels';
import { pickBackend } from './backend';
import type { ReplayWorkerApi } from './replay-protocol';
import { ReplaySession } from './replay-session';

const session = new ReplaySession({
  pickBackend,
  transfer: Comlink.transfer,
  trainerOptions: () => ({ kernels: modelKernels() }),
});

self.addEventListener('unhandledrejection', (event) => {
  // a failed replay is answered { ok: false } by the session; nothing else may take the worker down
  event.preventDefault();
});

const api: ReplayWorkerApi = {
  configure: (experiment, options) => session.configure(experiment, options),
  replay: (request) => session.replay(request),
  dispose: () => session.dispose(),
};

Comlink.expose(api);
