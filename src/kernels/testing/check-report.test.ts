import { describe, expect, it } from 'vitest';
import {
  type CheckEntry,
  coverageProblems,
  KERNEL_IDS,
  type KernelReport,
  reportProblems,
  reportToJson,
} from './check-report';
import { kernelChecks } from './checks';

/** The entries the checks of testing/checks.ts would produce, with the given error each. */
function entriesOfChecks(err = (_e: CheckEntry) => 1e-6): CheckEntry[] {
  return kernelChecks().flatMap((c) =>
    c.outputs.map((output) => {
      const e: CheckEntry = {
        kernel: c.kernel,
        case: c.case,
        dims: c.dims,
        output,
        maxRelErr: 0,
        tolerance: 1e-4,
        ok: true,
      };
      e.maxRelErr = err(e);
      e.ok = e.maxRelErr < e.tolerance;
      return e;
    }),
  );
}

const report = (entries: CheckEntry[], over: Partial<KernelReport> = {}): KernelReport => ({
  backend: 'webgpu',
  backendReason: 'webgpu: first choice',
  adapter: 'swiftshader',
  context: 'DedicatedWorkerGlobalScope',
  entries,
  failures: [],
  gpuErrors: [],
  elapsedMs: 1,
  ...over,
});

describe('kernel check report', () => {
  it('the shared checks cover every kernel, every output and the required shapes', () => {
    expect(coverageProblems(entriesOfChecks())).toEqual([]);
    expect(new Set(kernelChecks().map((c) => c.kernel))).toEqual(new Set(KERNEL_IDS));
  });

  it('a complete passing report has no problems', () => {
    expect(reportProblems(report(entriesOfChecks()))).toEqual([]);
  });

  it('names the failing kernel, case, output and its error', () => {
    const entries = entriesOfChecks((e) =>
      e.kernel === 'attention' && e.case.startsWith('B 2, L 19') && e.output === 'dqkv' ? 3e-3 : 1e-6,
    );
    expect(reportProblems(report(entries))).toEqual([
      'attention (B 2, L 19, D 32, 4 heads) dqkv: max relative error 3.00e-3 >= 1.00e-4',
    ]);
    const nan = entriesOfChecks((e) => (e.kernel === 'layerNorm' && e.output === 'y' ? Number.NaN : 1e-6));
    expect(reportProblems(report(nan)).length).toBe(4);
  });

  it('reports missing kernels, outputs and shapes', () => {
    const entries = entriesOfChecks();
    expect(coverageProblems(entries.filter((e) => e.kernel !== 'biasGelu'))).toEqual([
      'biasGelu: no check ran',
    ]);
    const noDz = entries.filter((e) => !(e.kernel === 'selectiveScan' && e.output === 'dz'));
    // one problem per selective-scan case (every case compares dz)
    expect(coverageProblems(noDz).length).toBe(kernelChecks('selectiveScan').length);
    expect(coverageProblems(noDz)[0]).toMatch(/^selectiveScan \(B 1, L 1, .*\): outputs not compared: dz$/);
    const noL1 = entries.filter((e) => !(e.kernel === 'attention' && e.dims.l === 1));
    // attention's only batch-1 case is its L = 1 case
    expect(coverageProblems(noL1)).toEqual([
      'attention: no case with L = 1',
      'attention: no case with batch 1',
    ]);
    const noBigBatch = entries.filter((e) => !(e.kernel === 'causalConvSilu' && e.dims.b >= 32));
    expect(coverageProblems(noBigBatch)).toEqual(['causalConvSilu: no case with a large batch (>= 32)']);
    const noNorm = entries.filter((e) => !(e.kernel === 'clipAdam' && e.output.startsWith('grad norm')));
    expect(coverageProblems(noNorm)).toHaveLength(2);
    expect(reportProblems(report([]))).toContain('selectiveScan: no check ran');
  });

  it('reports a fallback backend, failed checks, GPU errors, and comparisons with itself', () => {
    const entries = entriesOfChecks();
    const problems = reportProblems(
      report(entries, {
        backend: 'cpu',
        backendReason: 'cpu, because webgpu failed (no adapter)',
        failures: [{ kernel: 'clipAdam', case: 'x', message: 'boom' }],
        gpuErrors: [
          { kernel: 'layerNorm', case: '2 x 5 x 7', message: 'GPUValidationError: bad binding' },
          { kernel: null, case: null, message: 'late' },
        ],
      }),
    );
    expect(problems).toEqual([
      "the kernels ran on 'cpu', not webgpu (cpu, because webgpu failed (no adapter))",
      'clipAdam (x) threw: boom',
      'uncaptured GPU error layerNorm (2 x 5 x 7): GPUValidationError: bad binding',
      'uncaptured GPU error outside any check: late',
    ]);
    expect(reportProblems(report(entriesOfChecks(() => 0)))).toEqual([
      'every relative error is exactly 0: the kernels were compared with themselves',
    ]);
  });
});

describe('reportToJson', () => {
  it('keeps a non-finite error a failure after a JSON round trip', () => {
    const entries = entriesOfChecks((e) =>
      e.kernel === 'biasGelu' && e.output === 'dbias' ? Infinity : 1e-6,
    );
    const back = JSON.parse(reportToJson(report(entries))) as KernelReport;
    const bad = back.entries.filter((e) => e.kernel === 'biasGelu' && e.output === 'dbias');
    const cases = kernelChecks('biasGelu').length;
    expect(cases).toBeGreaterThan(1);
    expect(bad.map((e) => e.maxRelErr)).toEqual(Array(cases).fill('Infinity'));
    // even with ok forced true, the non-number error fails
    for (const e of back.entries) e.ok = true;
    const problems = reportProblems(back);
    expect(problems).toHaveLength(cases);
    expect(problems[0]).toMatch(/^biasGelu \(1 x 1 x 3 .*\) dbias: max relative error Infinity >= 1\.00e-4$/);
  });
});
