/**
 * The report of the kernel correctness checks (testing/checks.ts), as the browser check worker
 * (testing/browser-check.worker.ts) posts it, and what is wrong with one: failed comparisons,
 * checks that threw, uncaptured GPU errors, a backend other than WebGPU, and missing coverage
 * (every fused kernel, forward and every gradient, on L = 1, an L that is no multiple of a
 * workgroup size, batch 1 and a large batch). Pure: no tfjs here, so the Playwright spec and the
 * unit tests import it as is.
 */

/** The fused kernels of src/kernels that have a reference path to compare with. */
export type KernelId =
  | 'selectiveScan'
  | 'layerNorm'
  | 'layerNormLinear'
  | 'layerNormLinearRows'
  | 'attention'
  | 'causalConvSilu'
  | 'convSiluLinear'
  | 'biasGelu'
  | 'clipAdam';

/** Sizes of one case (b: batch, l: sequence length, ...), for the coverage rules. */
export type Dims = Readonly<Record<string, number>>;

/** One compared output (forward value or one gradient) of one kernel on one case. */
export interface CheckEntry {
  kernel: KernelId;
  /** human-readable case: "B 2, L 19, Di 70, ..." */
  case: string;
  dims: Dims;
  /** "y" (forward), "d<input>" (gradient), or for Adam "param 3 [257]", "grad norm step 2", ... */
  output: string;
  /** max |got - ref| / max |ref| over the output (Infinity when a value is not finite) */
  maxRelErr: number;
  tolerance: number;
  ok: boolean;
}

/** A check that did not finish (threw): its outputs are missing from the entries. */
export interface CheckFailure {
  kernel: KernelId;
  case: string;
  message: string;
}

/** An uncaptured WebGPU error, attributed to the check that was running when it was taken. */
export interface GpuErrorEntry {
  kernel: KernelId | null;
  case: string | null;
  message: string;
}

export interface KernelReport {
  /** tfjs backend the fused kernels ran on (should be 'webgpu') */
  backend: string;
  /** initBackend's reason */
  backendReason: string;
  adapter: string;
  /** global scope the checks ran in (DedicatedWorkerGlobalScope in the browser) */
  context: string;
  entries: CheckEntry[];
  failures: CheckFailure[];
  gpuErrors: GpuErrorEntry[];
  elapsedMs: number;
}

/** JSON text of a report; Infinity and NaN (no JSON numbers) become the strings "Infinity", "NaN". */
export function reportToJson(report: KernelReport): string {
  return JSON.stringify(
    report,
    (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v),
    2,
  );
}

/** Messages of the browser check worker to its page. */
export type CheckWorkerMessage =
  | { type: 'progress'; done: number; total: number; current: string }
  | { type: 'report'; report: KernelReport }
  | { type: 'fatal'; message: string };

interface CaseRule {
  what: string;
  test: (dims: Dims) => boolean;
}

interface Requirement {
  /** every case of the kernel must compare these outputs (the output name's first word) */
  outputs: readonly string[];
  /** some case of the kernel must satisfy each rule */
  cases: readonly CaseRule[];
}

/** Odd lengths above 1: no multiple of any (power-of-two) workgroup size or chunk. */
const SEQUENCE_RULES: readonly CaseRule[] = [
  { what: 'L = 1', test: (d) => d.l === 1 },
  { what: 'L not a multiple of the workgroup size (odd L > 1)', test: (d) => d.l > 1 && d.l % 2 === 1 },
  { what: 'batch 1', test: (d) => d.b === 1 },
  { what: 'a large batch (>= 32)', test: (d) => d.b >= 32 },
];

/** What the checks must cover; the names are those of testing/checks.ts. */
export const REQUIREMENTS: Readonly<Record<KernelId, Requirement>> = {
  selectiveScan: {
    outputs: ['y', 'du', 'dxdbl', 'dz', 'ddtW', 'ddtBias', 'dALog', 'dD'],
    cases: [
      ...SEQUENCE_RULES,
      {
        what: 'the sequential forward',
        test: (d) => d.chunked === 0 && d.staged === 0 && d.lanes === 0,
      },
      { what: 'the chunked forward', test: (d) => d.chunked === 1 },
      { what: 'the lane-parallel forward', test: (d) => d.lanes === 1 },
      {
        what: 'the row-staged forward with the block-parallel backward',
        test: (d) => d.staged === 1 && d.blocks === 1,
      },
    ],
  },
  layerNorm: {
    outputs: ['y', 'dx', 'dweight', 'dbias'],
    cases: [...SEQUENCE_RULES, { what: 'a 2-D input', test: (d) => !('l' in d) }],
  },
  layerNormLinear: {
    outputs: ['y', 'dx', 'dlnWeight', 'dlnBias', 'dweight', 'dbias', 'dshift'],
    cases: [
      { what: 'one row', test: (d) => d.m === 1 },
      {
        what: 'rows, columns and K no multiples of the 64 x 64 tile and 16-wide stretch',
        test: (d) => d.m % 64 !== 0 && d.n % 64 !== 0 && d.k % 16 !== 0 && d.m > 64 && d.n > 64,
      },
      { what: 'the nn.Linear layout [out, in]', test: (d) => d.transposed === 1 },
      { what: 'the GPT-2 Conv1D layout [in, out]', test: (d) => d.transposed === 0 },
    ],
  },
  layerNormLinearRows: {
    outputs: ['y', 'dx', 'dlnWeight', 'dlnBias', 'dweight', 'dbias'],
    cases: [
      { what: 'one row read a sequence', test: (d) => d.count === 1 },
      { what: 'every other row read (stride 2)', test: (d) => d.stride === 2 },
      { what: 'a large batch (>= 32)', test: (d) => d.b >= 32 },
    ],
  },
  attention: { outputs: ['y', 'dqkv'], cases: SEQUENCE_RULES },
  causalConvSilu: { outputs: ['y', 'dx', 'dweight', 'dbias'], cases: SEQUENCE_RULES },
  convSiluLinear: {
    outputs: ['y', 'dx', 'dconvWeight', 'dconvBias', 'dweight'],
    cases: [
      ...SEQUENCE_RULES,
      { what: 'more x_proj outputs than one 64-column tile', test: (d) => d.n > 64 },
      { what: 'the conv on the second half of x (in_proj layout)', test: (d) => d.wide === 1 },
    ],
  },
  biasGelu: { outputs: ['y', 'dx', 'dbias'], cases: SEQUENCE_RULES },
  clipAdam: {
    outputs: ['param', 'exp_avg', 'exp_avg_sq', 'grad'],
    cases: [
      { what: 'no clipping', test: (d) => d.clip === 0 },
      { what: 'clipping', test: (d) => d.clip === 1 },
      { what: 'a parameter of size 1', test: (d) => d.minSize === 1 },
      {
        what: 'a parameter larger than a workgroup (256) and no multiple of it',
        test: (d) => d.ragged >= 1,
      },
    ],
  },
};

export const KERNEL_IDS = Object.keys(REQUIREMENTS) as KernelId[];

const outputKind = (output: string): string => output.split(' ')[0];

const fmt = (x: number): string => (Number.isFinite(x) ? x.toExponential(2) : String(x));

/** What is missing from the entries: kernels, outputs of a case, kinds of cases. */
export function coverageProblems(entries: readonly CheckEntry[]): string[] {
  const problems: string[] = [];
  for (const kernel of KERNEL_IDS) {
    const req = REQUIREMENTS[kernel];
    const mine = entries.filter((e) => e.kernel === kernel);
    if (mine.length === 0) {
      problems.push(`${kernel}: no check ran`);
      continue;
    }
    const byCase = new Map<string, { dims: Dims; kinds: Set<string> }>();
    for (const e of mine) {
      const c = byCase.get(e.case) ?? { dims: e.dims, kinds: new Set<string>() };
      c.kinds.add(outputKind(e.output));
      byCase.set(e.case, c);
    }
    for (const [label, c] of byCase) {
      const missing = req.outputs.filter((o) => !c.kinds.has(o));
      if (missing.length > 0)
        problems.push(`${kernel} (${label}): outputs not compared: ${missing.join(', ')}`);
    }
    const dims = [...byCase.values()].map((c) => c.dims);
    for (const rule of req.cases) {
      if (!dims.some(rule.test)) problems.push(`${kernel}: no case with ${rule.what}`);
    }
  }
  return problems;
}

/**
 * Everything wrong with a report, one readable line each (empty: all checks passed and the
 * coverage is complete).
 */
export function reportProblems(report: KernelReport): string[] {
  const problems: string[] = [];
  if (report.backend !== 'webgpu') {
    problems.push(`the kernels ran on '${report.backend}', not webgpu (${report.backendReason})`);
  }
  for (const e of report.entries) {
    // JSON has no Infinity / NaN: a report read back from text may carry them as strings or null
    if (typeof e.maxRelErr !== 'number' || !(e.maxRelErr < e.tolerance) || !e.ok) {
      problems.push(
        `${e.kernel} (${e.case}) ${e.output}: max relative error ${fmt(e.maxRelErr)} >= ${fmt(e.tolerance)}`,
      );
    }
  }
  for (const f of report.failures) problems.push(`${f.kernel} (${f.case}) threw: ${f.message}`);
  for (const g of report.gpuErrors) {
    const where = g.kernel ? `${g.kernel} (${g.case})` : 'outside any check';
    problems.push(`uncaptured GPU error ${where}: ${g.message}`);
  }
  problems.push(...coverageProblems(report.entries));
  // two different implementations never agree to the last bit on every output of every case
  if (report.entries.length > 0 && report.entries.every((e) => e.maxRelErr === 0)) {
    problems.push('every relative error is exactly 0: the kernels were compared with themselves');
  }
  return problems;
}
