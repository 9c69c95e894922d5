/**
 * The scan-row comparison across gpu.ts calls (bench/scan-rows.ts): rows parsed from gpu.ts's own
 * table lines, the measured parenthesis dropped from the name, a row missing from a call or too
 * far apart between calls never "repeats", and the fastest repeated row is judged by its slowest call.
 */
import { describe, expect, it } from 'vitest';
import { compareCalls, formatComparison, parseScanRows } from './scan-rows';

const call1 = `### Selective scan kernel, B 64, L 1024, Di 256, N 16, R 8

| kernel | variant | ms | effective GB/s | % of copy BW |
| --- | --- | --- | --- | --- |
| forward | staged lean, 64 ch x 1 lanes, T 16, 4 steps written out (wanted 64 x 1, T 16) (rel. err 1.1e-7) | 0.300 | 706 | 23.1% |
| forward | staged chunked (4 chunks) lean, 32 ch x 1 lanes, T 8, 4 steps written out (wanted 32 x 1, T 8, 4 chunks) (rel. err 1.2e-7) | 0.200 | 1060 | 34.7% |
| forward | lanes (subgroups), 64 invocations per workgroup (rel. err 1.8e-7) | 0.560 | 380 | 12.4% |
| backward (2 dispatches) | staged aligned subgroup sums over 32 lanes (states permuted in 4 blocks), 32 ch, T 16: 512 workgroups of 32 (moves ~500 MB; rel. err vs channels 7.6e-7) | 0.900 | 397 | 13.0% |
| backward (2 dispatches) | staged 2-lane subgroup sums over 32 lanes, 16 ch x 2 lanes, T 16: 1024 workgroups of 32 (moves ~600 MB; rel. err vs channels 6.1e-7) | 0.700 | 510 | 16.7% |
`;
const call2 = `| kernel | variant | ms | effective GB/s | % of copy BW |
| --- | --- | --- | --- | --- |
| forward | staged lean, 64 ch x 1 lanes, T 16, 4 steps written out (wanted 64 x 1, T 16) (rel. err 1.1e-7) | 0.310 | 684 | 22.4% |
| forward | staged chunked (4 chunks) lean, 32 ch x 1 lanes, T 8, 4 steps written out (wanted 32 x 1, T 8, 4 chunks) (rel. err 1.2e-7) | 0.420 | 505 | 16.5% |
| backward (2 dispatches) | staged aligned subgroup sums over 32 lanes (states permuted in 4 blocks), 32 ch, T 16: 512 workgroups of 32 (moves ~500 MB; rel. err vs channels 7.6e-7) | 0.950 | 376 | 12.3% |
| backward (2 dispatches) | staged 2-lane subgroup sums over 32 lanes, 16 ch x 2 lanes, T 16: 1024 workgroups of 32 (moves ~600 MB; rel. err vs channels 6.1e-7) | 0.720 | 496 | 16.2% |
`;

describe('scan rows across gpu.ts calls', () => {
  it("parses gpu.ts's rows without their measured parenthesis", () => {
    const rows = parseScanRows(call1);
    expect(rows.map((r) => r.kernel)).toEqual(['forward', 'forward', 'forward', 'backward', 'backward']);
    expect(rows[0]?.variant).toBe(
      'staged lean, 64 ch x 1 lanes, T 16, 4 steps written out (wanted 64 x 1, T 16)',
    );
    expect(rows[3]?.variant).toBe(
      'staged aligned subgroup sums over 32 lanes (states permuted in 4 blocks), 32 ch, T 16: 512 workgroups of 32',
    );
    expect(rows[4]).toMatchObject({ ms: 0.7, share: 16.7 });
  });

  it('reads the --gpu-time rows as directions of their own, without their measured parenthesis', () => {
    const text = `| forward | staged, 64 ch x 4 lanes, T 16 (wanted 64 x 4, T 16) (rel. err 1.8e-7) | 0.288 | 737 | 24.6% |
| gpu forward | staged, 64 ch x 4 lanes, T 16 (wanted 64 x 4, T 16) (ScanForwardStaged 0.221; enqueue 82 µs a call; in a long queue 0.212 ms, 33.3% of copy) | 0.221 | 957 | 30.8% |
| gpu backward | auto: staged backward, 64 ch x 2 lanes, K 8 (ScanStartsStaged 0.170, ScanBackwardStaged 1.300, ScanReduce 0.040; enqueue 236 µs a call; in a long queue 1.425 ms, 8.4% of copy) | 1.607 | 222 | 7.1% |
`;
    const rows = parseScanRows(text);
    expect(rows.map((r) => r.kernel)).toEqual(['forward', 'gpu forward', 'gpu backward']);
    expect(rows[1]).toMatchObject({
      variant: 'staged, 64 ch x 4 lanes, T 16 (wanted 64 x 4, T 16)',
      ms: 0.221,
      share: 30.8,
    });
    expect(rows[2]?.variant).toBe('auto: staged backward, 64 ch x 2 lanes, K 8');
  });

  it('a row repeats only when every call timed it within the spread; the fastest is judged by its slowest call', () => {
    const rows = compareCalls([parseScanRows(call1), parseScanRows(call2)], 1.15);
    const get = (prefix: string) => rows.find((r) => r.variant.startsWith(prefix));
    // the chunked forward was fastest once, then 2.1x slower: not a candidate
    expect(get('staged chunked')).toMatchObject({ repeats: false, best: false });
    expect(get('staged chunked')?.spread).toBeCloseTo(2.1, 5);
    // lanes was timed in one call only
    expect(get('lanes')?.repeats).toBe(false);
    expect(Number.isNaN(get('lanes')?.ms[1] ?? 0)).toBe(true);
    expect(get('staged lean')).toMatchObject({ repeats: true, best: true });
    expect(get('staged 2-lane')).toMatchObject({ repeats: true, best: true });
    expect(get('staged aligned')).toMatchObject({ repeats: true, best: false });
    expect(get('staged lean')?.share).toBeCloseTo(22.75, 5);
    const table = formatComparison(rows, 2);
    expect(table).toContain('### forward');
    expect(table).toContain(
      '| **staged lean, 64 ch x 1 lanes, T 16, 4 steps written out (wanted 64 x 1, T 16)** | 0.300 | 0.310 | 1.03x | 22.8 % | **fastest** |',
    );
    expect(table).toContain('| 0.560 | – | – | 12.4 % | no |');
  });

  it('a tighter spread turns a close pair into no candidate', () => {
    const rows = compareCalls([parseScanRows(call1), parseScanRows(call2)], 1.01);
    expect(rows.some((r) => r.best)).toBe(false);
  });
});
