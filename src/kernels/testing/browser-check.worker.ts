/// <reference lib="webworker" />
/**
 * The kernel correctness checks (testing/checks.ts) in a browser DedicatedWorker, for the test
 * page e2e/pages/kernels.html (built only with ICL_TEST_PAGES=1) and e2e/kernels.spec.ts: starts
 * tfjs on WebGPU with `initBackend(['webgpu'])`, runs every check, collects uncaptured GPU errors,
 * and posts progress, then one report (testing/check-report.ts). Starts on load; the page only
 * listens.
 */
import { initBackend, onGpuError } from '../backend';
import type { CheckWorkerMessage, KernelReport } from './check-report';
import { kernelChecks, runKernelChecks } from './checks';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (message: CheckWorkerMessage): void => scope.postMessage(message);

async function main(): Promise<void> {
  const started = performance.now();
  const info = await initBackend(['webgpu']);
  let result: Awaited<ReturnType<typeof runKernelChecks>> = { entries: [], failures: [], gpuErrors: [] };
  // off WebGPU (initBackend fell back to cpu) there is nothing to compare: the report says why
  if (info.name === 'webgpu') {
    let uncaptured = 0;
    const off = onGpuError(() => {
      uncaptured++;
    });
    result = await runKernelChecks(kernelChecks(), (done, total, current) => {
      post({ type: 'progress', done, total, current });
    });
    off();
    // every uncaptured error is attributed to a check unless the pending list overflowed
    const lost = uncaptured - result.gpuErrors.length;
    if (lost > 0) {
      result.gpuErrors.push({ kernel: null, case: null, message: `${lost} more uncaptured GPU error(s)` });
    }
  }
  const a = info.adapterInfo;
  const report: KernelReport = {
    backend: info.name,
    backendReason: info.reason,
    adapter: a ? [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') : '',
    context: scope.constructor.name,
    entries: result.entries,
    failures: result.failures,
    gpuErrors: result.gpuErrors,
    elapsedMs: Math.round(performance.now() - started),
  };
  post({ type: 'report', report });
}

main().catch((e: unknown) => {
  post({ type: 'fatal', message: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) });
});
