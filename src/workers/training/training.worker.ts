/// <reference lib="webworker" />
/**
 * A training worker: one model of an experiment, trained off the main thread.
 * Protocol: src/workers/training/protocol.ts; the work itself: src/workers/training/session.ts;
 * backend choice: src/workers/backend.ts (WebGPU through src/kernels, with its fused kernels).
 */

import * as tf from '@tensorflow/tfjs';
import * as Comlink from 'comlink';
import { createStepReplay, FusedAdam, modelKernels, onDeviceLost, onGpuError } from '../../kernels';
import { browserEnvironment, describeGpu, pickBackend, wasmEnvironment } from '../backend';
import { startBatchWorker } from '../batches/client';
import { commandsOf } from '../commands';
import { obeyHolds } from '../page-hold';
import { answerHeartbeats, obeyTestHangs } from '../watchdog';
import { measureDevice } from './measure';
import { TRAINING_COMMANDS, type TrainingWorkerApi } from './protocol';
import { messageChannelYield, TrainingSession } from './session';

const session = new TrainingSession({
  pickBackend: async (order, hints) => {
    const report = await pickBackend(order, wasmEnvironment(hints?.wasmThreads));
    if (report.name === 'webgpu') watchGpu();
    return report;
  },
  transfer: Comlink.transfer,
  now: () => performance.now(),
  yieldToEvents: messageChannelYield(),
  // the fused kernels and the fused clip + Adam: WGSL on WebGPU, the JavaScript selective scan on
  // cpu / wasm, plain-ops paths for the rest off WebGPU
  trainerOptions: () => ({
    kernels: modelKernels(),
    optimizer: (settings) => new FusedAdam(settings),
    stepReplay: createStepReplay,
    // on a GPU the batch is a large part of a step's JavaScript: made ahead in a second worker
    // (elsewhere the step dwarfs it, and a second worker would only take a core)
    ...(tf.getBackend() === 'webgpu' ? { batchSource: startBatchWorker } : {}),
  }),
  measure: (experiment, request) =>
    measureDevice(experiment, request, {
      start: async (name) => {
        const report = await pickBackend([name], wasmEnvironment(request.wasmThreads));
        if (report.name !== name) throw new Error(report.summary);
      },
      describe: (name) => describeGpu(name, browserEnvironment),
      now: () => performance.now(),
      trainerOptions: () => ({ kernels: modelKernels(), optimizer: (settings) => new FusedAdam(settings) }),
    }),
});

let gpuErrorSeen = false;

/** A lost GPU device cannot be recovered in place: say so; the page restarts from a checkpoint. */
function watchGpu(): void {
  onDeviceLost((info) => {
    session.reportFatal(`the GPU device was lost (${info.message || info.reason || 'no reason given'})`);
  });
  onGpuError((error) => {
    if (gpuErrorSeen) return;
    gpuErrorSeen = true;
    session.reportWarning(`WebGPU reported an error; this model's numbers may be wrong: ${error.message}`);
  });
}

self.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  const reason = event.reason instanceof Error ? event.reason.message : String(event.reason);
  session.reportFatal(`unexpected failure: ${reason}`);
});

// the page's heartbeat (src/workers/watchdog.ts), answered between steps; test builds can hang
answerHeartbeats(self);
obeyTestHangs(self);
// the page's holds while it redraws (src/workers/page-hold.ts), seen between steps
obeyHolds(self, (ms) => session.hold(ms));

// exactly the commands of the protocol (TRAINING_COMMANDS), bound to the session
Comlink.expose(commandsOf<TrainingWorkerApi>(session, TRAINING_COMMANDS));
