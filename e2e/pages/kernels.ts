/**
 * The kernel check page (e2e/pages/kernels.html, a test-only build input): starts the check worker
 * (src/kernels/testing/browser-check.worker.ts), shows its progress, and puts its report as JSON
 * in #report, with `data-state` on <body>: 'running', then 'done' or 'fatal'. No tfjs here: it
 * runs in the worker.
 */
import {
  type CheckWorkerMessage,
  reportProblems,
  reportToJson,
} from '../../src/kernels/testing/check-report';

const status = document.getElementById('status')!;
const reportOut = document.getElementById('report')!;
document.body.dataset.state = 'running';

const worker = new Worker(new URL('../../src/kernels/testing/browser-check.worker.ts', import.meta.url), {
  type: 'module',
  name: 'kernel-checks',
});

worker.addEventListener('message', (event: MessageEvent<CheckWorkerMessage>) => {
  const m = event.data;
  if (m.type === 'progress') {
    status.textContent = m.current
      ? `Check ${m.done + 1} of ${m.total}: ${m.current}`
      : `${m.total} checks run`;
    return;
  }
  if (m.type === 'report') {
    const problems = reportProblems(m.report);
    status.textContent =
      problems.length === 0
        ? `All ${m.report.entries.length} comparisons passed on ${m.report.backend} in ${m.report.elapsedMs} ms`
        : `${problems.length} problem(s): ${problems.join('; ')}`;
    reportOut.textContent = reportToJson(m.report);
    document.body.dataset.state = 'done';
  } else {
    status.textContent = `The check worker failed: ${m.message}`;
    reportOut.textContent = JSON.stringify({ fatal: m.message });
    document.body.dataset.state = 'fatal';
  }
  worker.terminate();
});

worker.addEventListener('error', (event) => {
  status.textContent = `The check worker could not run: ${event.message || 'load error'}`;
  document.body.dataset.state = 'fatal';
});
