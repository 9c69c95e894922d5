/**
 * The block-parallel scan backward (blocks-backward-program.ts, with its starts pass and its sums)
 * on WebGPU (Dawn + SwiftShader) against the plain-ops reference on cpu: every gradient, relative
 * error < 1e-4, in each of its forms, on layouts that exercise one segment, one channel lane, L = 1,
 * L shorter than a chunk, L not a multiple of the chunk or of E, channels not a multiple of WD, odd
 * N and the gate read from in_proj's [B, L, 2Di] output. And the layout rules.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeGpuErrors } from '../backend';
import { registerAllKernels } from '../register';
import { maxWorkgroupStorage, setRawDispatchHook, subgroupMinSize } from '../runner';
import { SCAN_INPUT_NAMES, type ScanCase, scanFunction, scanInputs } from '../testing/checks';
import { afterPoisonedPool, gradProblems, Rng, randn, relErr, valueAndGrads } from '../testing/helpers';
import { setupWebGpu } from '../testing/webgpu';
import { type BlocksLayout, blocksBackwardBytes, blocksLayout } from './blocks-layout';
import { blocksOptions, scanTuning, stagedStartsPlanFor } from './index';

let gpu = { ok: false, reason: '' };

beforeAll(async () => {
  registerAllKernels();
  const r = await setupWebGpu();
  gpu = { ok: r.info !== null, reason: r.reason };
  if (!gpu.ok) console.warn(`WebGPU kernel tests skipped: ${r.reason}`);
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('block-parallel scan layout', () => {
  it('keeps what fits, raises E to a chunk of N steps, halves WD then TL to fit', () => {
    expect(blocksLayout(16, { wd: 32, tl: 8, e: 4 }, 32768)).toEqual({ wd: 32, tl: 8, e: 4, t: 32 });
    // N 16 over 2 segments: E at least 8
    expect(blocksLayout(16, { wd: 32, tl: 2, e: 1 }, 32768)).toEqual({ wd: 32, tl: 2, e: 8, t: 16 });
    // at most 256 invocations: the larger of WD and TL halves
    expect(blocksLayout(4, { wd: 64, tl: 16, e: 2 }, 65536)).toEqual({ wd: 16, tl: 16, e: 2, t: 32 });
    // 16 KiB: WD 32 x TL 8 x E 4 needs 18,688 bytes; WD 16 needs 9,472
    expect(blocksBackwardBytes(32, 8, 4, 16)).toBe(18688);
    expect(blocksBackwardBytes(16, 8, 4, 16)).toBe(9472);
    expect(blocksLayout(16, { wd: 32, tl: 8, e: 4 }, 16384)).toEqual({ wd: 16, tl: 8, e: 4, t: 32 });
    // nothing fits: N 4096 needs more than 32 KiB for one lane's carry
    expect(blocksLayout(4096, { wd: 32, tl: 8, e: 4 }, 32768)).toBeNull();
  });
});

describe("the block-parallel backward's forms under 'auto'", () => {
  it('takes the starts from their own pass from blocksStartsFromChunks chunks of L on, slim either way', (ctx) => {
    if (!gpu.ok) ctx.skip();
    const backend = tf.findBackend('webgpu');
    const lay: BlocksLayout = { wd: 8, tl: 4, e: 4, t: 16 };
    const dims = { n: 4, r: 2, s: 10 };
    const auto = {
      ...scanTuning,
      blocksStarts: 'auto',
      blocksSlim: true,
      blocksStartsFromChunks: 32,
    } as const;
    const at = (l?: number) => blocksOptions(backend, { ...dims, l }, lay, auto);
    expect(at(16 * 32)).toMatchObject({ starts: 'pass', slim: true });
    // 31 chunks and one step: 32 chunks
    expect(at(16 * 31 + 1)).toMatchObject({ starts: 'pass', slim: true });
    expect(at(16 * 31)).toMatchObject({ starts: 'phase1', slim: true });
    expect(at(82)).toMatchObject({ starts: 'phase1', slim: true });
    // without L (the bench's rows) 'auto' keeps the first pass
    expect(at()).toMatchObject({ starts: 'phase1', slim: true });
    // asked for, whatever L; the full form where asked for
    expect(
      blocksOptions(backend, { ...dims, l: 20 }, lay, { ...auto, blocksStarts: 'pass', blocksSlim: false }),
    ).toMatchObject({ starts: 'pass', slim: false });
    expect(
      blocksOptions(backend, { ...dims, l: 4096 }, lay, { ...auto, blocksStarts: 'phase1' }),
    ).toMatchObject({
      starts: 'phase1',
      slim: true,
    });
  });
});

describe('the segments on lanes (blocksSegLanes) where a subgroup holds them and their sums fit', () => {
  it('Q = subgroup / TL channel lanes; without them where TL exceeds a subgroup or the sums do not fit', (ctx) => {
    if (!gpu.ok) ctx.skip();
    const backend = tf.findBackend('webgpu');
    const sg = subgroupMinSize(backend);
    if (sg === null) ctx.skip();
    const lanes = Math.min(32, sg as number);
    const wanted = {
      ...scanTuning,
      blocksSums: 'subgroup',
      blocksStarts: 'pass',
      blocksAhead: 1,
      blocksParts: 1,
      blocksSegLanes: true,
    } as const;
    const dims = { n: 16, r: 4, s: 36 };
    const at = (wd: number, tl: number, e: number) =>
      blocksOptions(backend, dims, { wd, tl, e, t: tl * e }, wanted);
    // two segments: Q = lanes / 2 channel lanes (at most WD)
    expect(at(8, 2, 8)).toMatchObject({ sums: 'subgroup', segLanes: true, q: Math.min(8, lanes / 2) });
    // more segments than a subgroup has lanes: the plain subgroup sums
    const wide = at(4, 2 * lanes, 1);
    expect(wide.segLanes).toBeUndefined();
    expect(wide.sums).toBe('subgroup');
    // WD 32 x TL 4 on a 4-lane subgroup: one channel lane, 32 groups' sums (64 KiB) do not fit where the
    // plain subgroup sums' 8 groups do: the forms without the segments on lanes
    if (lanes === 4) {
      const plain = at(32, 4, 4);
      expect(plain).toEqual(
        blocksOptions(backend, dims, { wd: 32, tl: 4, e: 4, t: 16 }, { ...wanted, blocksSegLanes: false }),
      );
      expect(plain.sums).toBe('subgroup');
    }
  });
});

/** a case and the WD, TL, E wanted */
interface BlocksCase {
  c: ScanCase;
  layout: [number, number, number];
}

const CASES: readonly BlocksCase[] = [
  // L = 1: one chunk of one real step; one lane
  { c: { b: 1, l: 1, di: 4, n: 3, r: 1, gateWidth: 1 }, layout: [4, 4, 2] },
  // L 19 in chunks of 8 (last chunk 3 steps), Di 70 over 16 lanes (last group 6), gate from in_proj
  { c: { b: 2, l: 19, di: 70, n: 4, r: 2, gateWidth: 2 }, layout: [16, 4, 2] },
  // N 16, the benchmark's layout: L 37 = 32 + 5, odd Di 17
  { c: { b: 1, l: 37, di: 17, n: 16, r: 8, gateWidth: 2 }, layout: [32, 8, 4] },
  // one segment (the sequential walk in chunks), odd N, E 3 (the chunk not a power of two)
  { c: { b: 3, l: 23, di: 9, n: 5, r: 3, gateWidth: 1 }, layout: [8, 1, 5] },
  // many segments of one step, N 1, a large batch
  { c: { b: 64, l: 21, di: 8, n: 1, r: 1, gateWidth: 1 }, layout: [8, 32, 1] },
  // several chunks, wide channels, the chunk longer than L's remainder
  { c: { b: 2, l: 70, di: 130, n: 16, r: 8, gateWidth: 2 }, layout: [64, 4, 4] },
  // N 16 over 4 segments of 8 steps, odd L over chunks of 32
  { c: { b: 2, l: 45, di: 40, n: 16, r: 8, gateWidth: 2 }, layout: [32, 4, 8] },
  // N 16 in small workgroups (the states in parts fit SwiftShader's memory): L 41 over chunks of 16
  { c: { b: 2, l: 41, di: 24, n: 16, r: 4, gateWidth: 2 }, layout: [8, 4, 4] },
  // two segments (the segments' lanes with 2 channel lanes on SwiftShader's 4-lane subgroups): L 53
  // over chunks of 16, Di 20 over 8 lanes
  { c: { b: 2, l: 53, di: 20, n: 16, r: 4, gateWidth: 2 }, layout: [8, 2, 8] },
];

/**
 * The forms: each of 'auto''s four (the sums by subgroup shuffles or through workgroup memory, the
 * chunks' starts from their own pass or from the first pass, all slim), and the full form with
 * each of the sums.
 */
const FORMS = [
  { sums: 'serial', starts: 'phase1', slim: false },
  { sums: 'serial', starts: 'phase1', slim: true },
  { sums: 'serial', starts: 'pass', slim: true },
  { sums: 'subgroup', starts: 'phase1', slim: true },
  { sums: 'subgroup', starts: 'pass', slim: true },
  { sums: 'subgroup', starts: 'pass', slim: false },
  // B_t and C_t read once a state (rows), with 'auto''s form
  { sums: 'subgroup', starts: 'pass', slim: true, rows: true },
  // the starts by the staged forward's walk (where its loop turns fit the chunk; else the one-lane walk)
  { sums: 'subgroup', starts: 'pass', slim: true, staged: true },
  // several states' maps before one barrier (as many of 8 as fit), with and without the pass
  { sums: 'subgroup', starts: 'pass', slim: true, rows: true, ahead: 8 },
  { sums: 'subgroup', starts: 'phase1', slim: true, ahead: 8 },
  // each channel's states over 4 or 2 parts of the workgroup (where N and the invocations allow)
  { sums: 'subgroup', starts: 'pass', slim: true, rows: true, parts: 4 },
  { sums: 'subgroup', starts: 'phase1', slim: true, parts: 2 },
  // a channel's segments on neighbouring lanes, their maps joined by shuffles (where TL fits a subgroup)
  { sums: 'subgroup', starts: 'pass', slim: true, rows: true, segLanes: true },
  { sums: 'subgroup', starts: 'phase1', slim: true, segLanes: true },
  { sums: 'subgroup', starts: 'phase1', slim: false, segLanes: true },
] as const;

describe('block-parallel scan backward', () => {
  const runs = CASES.flatMap((bc, index) => FORMS.map((form) => ({ ...bc, index, ...form })));
  const backwards = new Set<string>();
  const aheads = new Set<string>();
  const partsRan = new Set<string>();
  let partsN16 = false;
  const segLanesRan = new Set<string>();
  runs.forEach((run) => {
    const { c, layout, index, sums, starts, slim } = run;
    const rows = 'rows' in run && run.rows === true;
    const staged = 'staged' in run && run.staged === true;
    const ahead = 'ahead' in run ? run.ahead : 1;
    const partsWanted = 'parts' in run ? run.parts : 1;
    const segLanes = 'segLanes' in run && run.segLanes === true;
    // every other case with the backward's parameters packed (devices binding 9 to 11 buffers)
    const pack = index % 2 === 1 ? 'always' : 'auto';
    const name = `B ${c.b}, L ${c.l}, Di ${c.di}, N ${c.n}, R ${c.r}, gate ${c.gateWidth} Di, WD ${layout[0]} TL ${layout[1]} E ${layout[2]}, pack ${pack}, ${sums} sums, starts ${starts}${slim ? ', slim' : ''}${rows ? ', rows once a state' : ''}${staged ? ', staged starts' : ''}${ahead > 1 ? `, ${ahead} states ahead` : ''}${partsWanted > 1 ? `, states in ${partsWanted} parts` : ''}${segLanes ? ', segments on lanes' : ''}`;
    it(`gradients match the reference: ${name}`, async (ctx) => {
      if (!gpu.ok) ctx.skip();
      const zOffset = c.gateWidth === 2 ? c.di : 0;
      const inputs = scanInputs(c, 17 + c.l);
      const weights = randn(new Rng(4), [c.b, c.l, c.di]);
      const saved = { ...scanTuning };
      Object.assign(scanTuning, {
        // the forward is not under test here: the cheapest to compile
        forwardMode: 'sequential',
        backwardMode: 'blocks',
        backwardPack: pack,
        blocksChannels: layout[0],
        blocksSegments: layout[1],
        blocksSteps: layout[2],
        blocksSums: sums,
        blocksSlim: slim,
        blocksStarts: starts,
        blocksRows: rows,
        blocksStartsStaged: staged,
        blocksAhead: ahead,
        blocksParts: partsWanted,
        blocksSegLanes: segLanes,
      });
      try {
        const ref = await valueAndGrads('cpu', inputs, weights, scanFunction(false, zOffset));
        const programs = new Set<string>();
        setRawDispatchHook((name) => programs.add(name));
        const got = await valueAndGrads('webgpu', inputs, weights, scanFunction(true, zOffset));
        setRawDispatchHook(null);
        // the block-parallel programs ran (not a fallback), in the forms asked for where they fit
        const backend = tf.findBackend('webgpu');
        const dims = { n: c.n, r: c.r, s: c.r + 2 * c.n };
        const lay = blocksLayout(
          c.n,
          { wd: layout[0], tl: layout[1], e: layout[2] },
          maxWorkgroupStorage(backend),
        );
        expect(lay).not.toBeNull();
        const forms = blocksOptions(backend, dims, lay as BlocksLayout);
        const name = `ScanBackwardBlocks${forms.sums === 'subgroup' ? 'Subgroup' : ''}${slim ? 'Slim' : ''}${forms.starts === 'pass' ? 'Starts' : ''}${rows ? 'Rows' : ''}${forms.ahead ? `Ahead${forms.ahead}` : ''}${forms.parts ? `Parts${forms.parts}` : ''}${forms.segLanes ? 'SegLanes' : ''}`;
        if (forms.segLanes)
          segLanesRan.add(`TL ${layout[1]} Q ${forms.q}, ${forms.starts}${slim ? '' : ', full'}`);
        if (forms.parts) partsRan.add(`${forms.parts} parts, ${forms.starts}`);
        if (forms.parts && c.n === 16) partsN16 = true;
        if (forms.ahead) aheads.add(`${forms.ahead}${c.n % forms.ahead ? ' (last group short)' : ''}`);
        const ran = [...programs].filter((p) => p.startsWith('ScanBackward') || p.startsWith('ScanStarts'));
        const storage = maxWorkgroupStorage(backend);
        const stagedStarts = stagedStartsPlanFor(
          c,
          (lay as BlocksLayout).t,
          subgroupMinSize(backend),
          storage,
        );
        const startsName = stagedStarts ? 'ScanStartsStaged' : 'ScanBackwardStarts';
        expect(ran).toEqual([...(starts === 'pass' ? [startsName] : []), name]);
        expect(stagedStarts !== null, 'staged starts where asked for and fitting').toBe(
          staged && (lay as BlocksLayout).t % 4 === 0,
        );
        backwards.add(name.replace(/(Ahead|Parts)\d+$/, '').replace(/SegLanes$/, ''));
        if (starts === 'pass')
          backwards.add(`${startsName}${stagedStarts ? ` ${stagedStarts.sp} lanes` : ''}`);
        expect(relErr(got.value, ref.value), 'y').toBeLessThan(1e-5);
        // NaN left in pooled buffers of the partials' sizes: a partial left unwritten shows; a fixed
        // summation order: bit for bit the same on a second run
        const g = Math.ceil(c.di / layout[0]);
        const stale = [c.b * c.l * g * (c.r + 2 * c.n), c.b * c.di * (c.r + c.n + 2), c.b * c.l * c.di];
        const again = await afterPoisonedPool(stale, () =>
          valueAndGrads('webgpu', inputs, weights, scanFunction(true, zOffset)),
        );
        expect(gradProblems(SCAN_INPUT_NAMES, got.grads, again.grads, ref.grads)).toEqual([]);
        expect(takeGpuErrors()).toEqual([]);
      } finally {
        setRawDispatchHook(null);
        Object.assign(scanTuning, saved);
      }
    });
  });
  it('ran every form: serial and subgroup sums, the starts from the first pass and from their own', (ctx) => {
    if (!gpu.ok) ctx.skip();
    expect([...backwards].sort()).toEqual(
      [
        'ScanBackwardBlocks',
        'ScanBackwardBlocksSlim',
        'ScanBackwardBlocksSlimStarts',
        // the full form with the subgroup sums where they do not fit SwiftShader's workgroup memory
        'ScanBackwardBlocksStarts',
        'ScanBackwardBlocksSubgroupSlim',
        'ScanBackwardBlocksSubgroupSlimStarts',
        'ScanBackwardBlocksSubgroupStarts',
        // the full form with the subgroup sums and the first pass (the segments on lanes)
        'ScanBackwardBlocksSubgroup',
        // B_t and C_t once a state; the serial sums where the subgroup ones do not fit
        'ScanBackwardBlocksSlimStartsRows',
        'ScanBackwardBlocksSubgroupSlimStartsRows',
        // the starts: the one-lane walk, and the staged walk at one lane (N 4) and at four (N 16)
        'ScanBackwardStarts',
        'ScanStartsStaged 1 lanes',
        'ScanStartsStaged 4 lanes',
      ].sort(),
    );
    // the states in parts ran with the pass (4 parts) and with the first pass (2)
    expect([...partsRan].sort()).toEqual(['2 parts, phase1', '4 parts, pass']);
    expect(partsN16, 'the states in parts at N 16').toBe(true);
    // the segments on lanes at one, two and four segments (Q 4, 2, 1 channel lanes on 4-lane subgroups),
    // with either starts and in the full form
    const lanes = [...segLanesRan];
    for (const want of ['TL 1 ', 'TL 2 ', 'TL 4 ', 'pass', 'phase1', 'full'])
      expect(
        lanes.some((r) => r.includes(want)),
        `segments on lanes: ${want}`,
      ).toBe(true);
    // the states' maps several at a time ran, with a last group shorter than the others (N 5, 3)
    expect([...aheads].some((a) => a.endsWith('(last group short)'))).toBe(true);
    expect([...aheads].some((a) => !a.endsWith('(last group short)') && Number.parseInt(a, 10) >= 4)).toBe(
      true,
    );
  });
});
