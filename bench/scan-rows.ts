/**
 * The scan rows of several gpu.ts calls side by side: which programs repeat across calls, and which
 * of those is fastest in each direction. A single call's row can be 2x off on the H200 (a cold
 * clock, another tenant), so only a row timed in every call, with its slowest call within `--spread`
 * of its fastest, is a candidate for 'auto'.
 *
 *   npx tsx bench/scan-rows.ts CALL1/gpu.log CALL2/gpu.log [--spread 1.15]
 *
 * Reads the markdown rows gpu.ts prints (`| forward | variant | ms | GB/s | % |`; the backward's
 * kernel column also names its dispatches; `starts` rows: the backward's chunk starts alone; `gpu forward` /
 * `gpu backward` rows, with --gpu-time: the same rows timed on the GPU alone, by timestamp queries). Prints, per direction, every variant's ms per call, the
 * spread, the median share of copy bandwidth, and marks the fastest repeated one.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** The rows' directions: the backward's chunk starts alone are rows of their own. */
const KERNELS = ['forward', 'backward', 'starts', 'gpu forward', 'gpu backward'] as const;
type ScanKernel = (typeof KERNELS)[number];

export interface ScanRow {
  kernel: ScanKernel;
  variant: string;
  ms: number;
  /** share of the copy bandwidth, percent */
  share: number;
}

/** The variant name without gpu.ts's measured parenthesis (rel. err, traffic; the GPU rows' programs and enqueue), which differs by call. */
function variantKey(name: string): string {
  return name.replace(/ \((?:rel\. err|moves ~|[^()]*enqueue )[^)]*\)\s*$/, '').trim();
}

/** Every scan row of one gpu.ts log. */
export function parseScanRows(text: string): ScanRow[] {
  const rows: ScanRow[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // '', kernel, variant, ms, GB/s, %, ''
    if (cells.length < 7) continue;
    const kernel = KERNELS.find((k) => cells[1]?.startsWith(k)) ?? null;
    const ms = Number(cells[3]);
    const share = Number.parseFloat(cells[5] ?? '');
    if (!kernel || !Number.isFinite(ms) || ms <= 0) continue;
    rows.push({ kernel, variant: variantKey(cells[2] ?? ''), ms, share });
  }
  return rows;
}

export interface ComparedRow {
  kernel: ScanKernel;
  variant: string;
  /** ms in each call, NaN where the call has no such row (the first row of that name a call has) */
  ms: number[];
  /** slowest / fastest call, NaN unless timed in every call */
  spread: number;
  /** median share of copy bandwidth over the calls that timed it */
  share: number;
  /** timed in every call within the allowed spread */
  repeats: boolean;
  /** the fastest repeated row of its direction (by its slowest call) */
  best: boolean;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** The rows of several calls compared (variants in the order the first call that has them lists them). */
export function compareCalls(calls: ScanRow[][], maxSpread: number): ComparedRow[] {
  const byKey = new Map<string, { row: ComparedRow; shares: number[] }>();
  calls.forEach((rows, call) => {
    for (const row of rows) {
      const key = `${row.kernel}\u0000${row.variant}`;
      let entry = byKey.get(key);
      if (!entry) {
        const ms = calls.map(() => Number.NaN);
        entry = {
          row: {
            kernel: row.kernel,
            variant: row.variant,
            ms,
            spread: Number.NaN,
            share: Number.NaN,
            repeats: false,
            best: false,
          },
          shares: [],
        };
        byKey.set(key, entry);
      }
      // a name timed twice in one call (a repeated sweep row): its first timing
      if (!Number.isNaN(entry.row.ms[call])) continue;
      entry.row.ms[call] = row.ms;
      if (Number.isFinite(row.share)) entry.shares.push(row.share);
    }
  });
  const out = [...byKey.values()].map(({ row, shares }) => {
    const timed = row.ms.every((x) => Number.isFinite(x));
    const spread = timed ? Math.max(...row.ms) / Math.min(...row.ms) : Number.NaN;
    return {
      ...row,
      spread,
      share: shares.length ? median(shares) : Number.NaN,
      repeats: timed && spread <= maxSpread,
    };
  });
  for (const kernel of KERNELS) {
    const worst = (r: ComparedRow) => Math.max(...r.ms);
    const repeated = out.filter((r) => r.kernel === kernel && r.repeats);
    const best = repeated.reduce<ComparedRow | null>(
      (a, r) => (a === null || worst(r) < worst(a) ? r : a),
      null,
    );
    if (best) best.best = true;
  }
  return out;
}

/** The comparison as a markdown table per direction. */
export function formatComparison(rows: ComparedRow[], calls: number): string {
  const lines: string[] = [];
  for (const kernel of KERNELS) {
    const mine = rows.filter((r) => r.kernel === kernel);
    if (mine.length === 0) continue;
    lines.push(`### ${kernel}`, '');
    const heads = Array.from({ length: calls }, (_, i) => `call ${i + 1} ms`);
    lines.push(`| variant | ${heads.join(' | ')} | spread | % of copy BW | repeats |`);
    lines.push(`| --- | ${heads.map(() => '---').join(' | ')} | --- | --- | --- |`);
    for (const r of mine) {
      const ms = r.ms.map((x) => (Number.isFinite(x) ? x.toFixed(3) : '–'));
      const spread = Number.isFinite(r.spread) ? `${r.spread.toFixed(2)}x` : '–';
      const share = Number.isFinite(r.share) ? `${r.share.toFixed(1)} %` : '–';
      const mark = r.best ? '**fastest**' : r.repeats ? 'yes' : 'no';
      lines.push(
        `| ${r.best ? `**${r.variant}**` : r.variant} | ${ms.join(' | ')} | ${spread} | ${share} | ${mark} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: { spread: { type: 'string', default: '1.15' } },
    allowPositionals: true,
  });
  const maxSpread = Number(values.spread);
  if (positionals.length === 0 || !(maxSpread >= 1)) {
    console.error('usage: npx tsx bench/scan-rows.ts CALL1/gpu.log [CALL2/gpu.log ...] [--spread 1.15]');
    process.exit(2);
  }
  const calls = positionals.map((f) => parseScanRows(readFileSync(f, 'utf8')));
  calls.forEach((rows, i) => {
    if (rows.length === 0) console.error(`${positionals[i]}: no scan rows`);
  });
  console.log(formatComparison(compareCalls(calls, maxSpread), calls.length));
}

if (process.argv[1]?.endsWith('scan-rows.ts')) main();
