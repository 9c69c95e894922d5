/// <reference lib="webworker" />
/**
 * The baselines worker: computes the classical baseline ICL curves of one task off the main thread.
 * Protocol: src/workers/baselines/protocol.ts; computation: src/workers/baselines/compute.ts.
 */
import * as Comlink from 'comlink';
import { answerHeartbeats } from '../watchdog';
import { computeBaselines } from './compute';
import { type BaselinesWorkerApi, curveSetTransferables } from './protocol';

const api: BaselinesWorkerApi = {
  async compute(request, onProgress) {
    const result = computeBaselines(request, onProgress);
    return result.ok ? Comlink.transfer(result, curveSetTransferables(result.curves)) : result;
  },
};

// the page's heartbeat (src/workers/watchdog.ts)
answerHeartbeats(self);

Comlink.expose(api);
