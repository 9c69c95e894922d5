/// <reference lib="webworker" />
/**
 * A training worker: one model of an experiment, trained off the main thread.
 * Protocol: src/workers/training/protocol.ts; the work itself: src/workers/training/session.ts;
 * backend choice: src/workers/backend.ts (WebGPU through src/kernels, with its fused kernels).
 */
import * as Comlink from 'comlink';
import { FusedAdam, modelKernels, onDeviceLost, onGpuError } from '../../kernels';
import { pickBackend } from '../backend';
import type { TrainingWorkerApi } from './protocol';
import { messageChannelYield, TrainingSession } from './session';

const session = new TrainingSession({
  pickBackend: async (order) => {
    const report = await pickBackend(order);
    if (report.name === 'webgpu') watchGpu();
    return report;
  },
  transfer: Comlink.transfer,
  now: () => performance.now(),
  yieldToEvents: messageChannelYield(),
  // the fused kernels and the fused clip + Adam: WGSL on WebGPU, the JavaScript selective scan on
  // cpu / wasm, plain-ops paths for the rest off WebGPU
  trainerOptions: () => ({ kernels: modelKernels(), optimizer: (settings) => new FusedAdam(settings) }),
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

const api: TrainingWorkerApi = {
  configure: (experiment, modelIndex, options, onEvent) =>
    session.configure(experiment, modelIndex, options, onEvent),
  train: () => session.train(),
  pause: () => session.pause(),
  resume: () => session.resume(),
  step: (n) => session.step(n),
  reset: () => session.reset(),
  setLearningRate: (lr) => session.setLearningRate(lr),
  setStepInterval: (ms) => session.setStepInterval(ms),
  probe: (prompt) => session.probe(prompt),
  saveCheckpoint: () => session.saveCheckpoint(),
  loadCheckpoint: (bytes) => session.loadCheckpoint(bytes),
  stats: () => session.stats(),
  dispose: () => session.dispose(),
};

Comlink.expose(api);
