/**
 * The row-staged scan forward (staged-forward-program.ts) on WebGPU (Dawn + SwiftShader) against the
 * plain-ops reference on cpu: the output, relative error < 1e-5 (the backward it pairs with is
 * blocks.test.ts's and webgpu.test.ts's), on L = 1, L shorter than a tile, L not a multiple of the tile, odd R and N (rows padded to
 * whole vec4s), channels not a multiple of the workgroup's, a large batch, the gate read from
 * in_proj's [B, L, 2Di] output, and a channel's states split over 2 and 4 lanes of a subgroup
 * (SwiftShader's subgroups have 4 lanes). The layout rule and 'auto''s layouts: staged-plans.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeGpuErrors } from '../backend';
import { registerAllKernels } from '../register';
import { maxWorkgroupStorage, setRawDispatchHook, subgroupMinSize } from '../runner';
import { type ScanCase, scanFunction, scanInputs } from '../testing/checks';
import { forwardValue, relErr } from '../testing/helpers';
import { setupWebGpu } from '../testing/webgpu';
import { scanTuning, stagedPlanFor } from './index';
import { type StagedLayout, stagedLayout, vecRowsFit } from './staged-layout';

let gpu = { ok: false, reason: '' };
let lanes: number | null = null;

beforeAll(async () => {
  registerAllKernels();
  const r = await setupWebGpu();
  gpu = { ok: r.info !== null, reason: r.reason };
  if (!gpu.ok) console.warn(`WebGPU kernel tests skipped: ${r.reason}`);
  else {
    await tf.setBackend('webgpu');
    lanes = subgroupMinSize(tf.backend());
  }
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('row-staged scan forward', () => {
  const cases: ReadonlyArray<[ScanCase, StagedLayout]> = [
    // L = 1: one tile, one step of it live
    [
      { b: 1, l: 1, di: 4, n: 3, r: 1, gateWidth: 1 },
      { wc: 64, sp: 1, t: 16 },
    ],
    // L 19 over tiles of 8 (the last 3 steps), 4 steps written out, Di 70 over 32 channels, gate from
    // in_proj, odd R
    [
      { b: 2, l: 19, di: 70, n: 4, r: 3, gateWidth: 2 },
      { wc: 32, sp: 1, t: 8, unroll: 4 },
    ],
    // L shorter than the tile; N 16, R 8 as the paper; odd Di
    [
      { b: 1, l: 37, di: 17, n: 16, r: 8, gateWidth: 2 },
      { wc: 32, sp: 1, t: 32 },
    ],
    // N 1 (one state), a large batch, tiles of one step
    [
      { b: 64, l: 3, di: 8, n: 1, r: 1, gateWidth: 1 },
      { wc: 64, sp: 1, t: 1 },
    ],
    // N 5, R 5 (both padded), L 64 = 4 tiles exactly, 128 channels a workgroup
    [
      { b: 3, l: 64, di: 130, n: 5, r: 5, gateWidth: 2 },
      { wc: 128, sp: 1, t: 16 },
    ],
    // states over 2 and 4 lanes (N 16: 8 and 4 states a lane), 2 steps written out
    [
      { b: 2, l: 21, di: 33, n: 16, r: 8, gateWidth: 2 },
      { wc: 32, sp: 2, t: 8, unroll: 2 },
    ],
    [
      { b: 2, l: 40, di: 9, n: 16, r: 2, gateWidth: 1 },
      { wc: 8, sp: 4, t: 16 },
    ],
    // Δ's softplus without branches: dtBias over softplus's series, log and near-linear regions
    [
      { b: 2, l: 19, di: 70, n: 4, r: 3, gateWidth: 2 },
      { wc: 32, sp: 1, t: 8, unroll: 4, branchless: true },
    ],
    [
      { b: 1, l: 37, di: 17, n: 16, r: 8, gateWidth: 2 },
      { wc: 32, sp: 1, t: 16, branchless: true },
    ],
    // a turn in phases (Δ, gates first; stores last), exp2: L = 1 (one live step of a turn of 4); L 19
    // over tiles of 8 (the last turn half past L) with odd R and the gate from in_proj; states over 2
    // and 4 lanes; N 16, R 8 as the paper with the branchless softplus; one step a turn
    [
      { b: 1, l: 1, di: 4, n: 3, r: 1, gateWidth: 1 },
      { wc: 64, sp: 1, t: 16, unroll: 4, grouped: true, exp2: true },
    ],
    [
      { b: 2, l: 19, di: 70, n: 4, r: 3, gateWidth: 2 },
      { wc: 32, sp: 1, t: 8, unroll: 4, grouped: true },
    ],
    [
      { b: 2, l: 19, di: 70, n: 4, r: 3, gateWidth: 2 },
      { wc: 32, sp: 1, t: 8, unroll: 2, exp2: true },
    ],
    [
      { b: 2, l: 21, di: 33, n: 16, r: 8, gateWidth: 2 },
      { wc: 32, sp: 2, t: 8, unroll: 2, grouped: true, exp2: true },
    ],
    [
      { b: 2, l: 40, di: 9, n: 16, r: 2, gateWidth: 1 },
      { wc: 8, sp: 4, t: 16, unroll: 8, grouped: true },
    ],
    [
      { b: 3, l: 70, di: 40, n: 16, r: 8, gateWidth: 2 },
      { wc: 64, sp: 1, t: 16, unroll: 4, grouped: true, exp2: true, branchless: true },
    ],
    [
      { b: 2, l: 7, di: 9, n: 5, r: 5, gateWidth: 2 },
      { wc: 8, sp: 1, t: 1, grouped: true },
    ],
    // N 8 over 2 lanes, L 70 over tiles of 32
    [
      { b: 3, l: 70, di: 40, n: 8, r: 4, gateWidth: 2 },
      { wc: 64, sp: 2, t: 32 },
    ],
    // a turn's inputs computed once a channel, by the lane owning the step (share): 2 lanes, U 2 and
    // 4, with L 21 (the last turn half past L) and L = 1; 4 lanes, U 4, odd R
    [
      { b: 2, l: 21, di: 33, n: 16, r: 8, gateWidth: 2 },
      { wc: 32, sp: 2, t: 8, unroll: 2, grouped: true, exp2: true, vecRows: true, share: true },
    ],
    [
      { b: 2, l: 21, di: 33, n: 16, r: 8, gateWidth: 2 },
      { wc: 32, sp: 2, t: 8, unroll: 4, grouped: true, share: true },
    ],
    [
      { b: 1, l: 1, di: 4, n: 16, r: 4, gateWidth: 1 },
      { wc: 64, sp: 2, t: 16, unroll: 2, grouped: true, exp2: true, share: true },
    ],
    [
      { b: 2, l: 40, di: 9, n: 16, r: 3, gateWidth: 1 },
      { wc: 8, sp: 4, t: 16, unroll: 4, grouped: true, share: true },
    ],
    // the rows as x_dbl's own vec4s: L = 1 in a turn of 4; L 19 over tiles of 8 (the last tile's
    // rows past L zero) with the gate from in_proj; N 16, R 8 over 2 lanes; asked for with R 3,
    // where rows need padding (the scalar copy runs)
    [
      { b: 1, l: 1, di: 4, n: 4, r: 4, gateWidth: 1 },
      { wc: 64, sp: 1, t: 16, unroll: 4, grouped: true, exp2: true, vecRows: true },
    ],
    [
      { b: 2, l: 19, di: 70, n: 8, r: 4, gateWidth: 2 },
      { wc: 32, sp: 1, t: 8, unroll: 2, vecRows: true },
    ],
    [
      { b: 2, l: 21, di: 33, n: 16, r: 8, gateWidth: 2 },
      { wc: 32, sp: 2, t: 8, unroll: 2, grouped: true, exp2: true, vecRows: true },
    ],
    [
      { b: 2, l: 19, di: 70, n: 4, r: 3, gateWidth: 2 },
      { wc: 32, sp: 1, t: 8, unroll: 4, grouped: true, vecRows: true },
    ],
    // lanes of two states (halves): N 8 over 4 lanes with the inputs shared, U 4, L 21 (the last turn
    // past L); N 4 over 2 lanes, vec4 rows, L = 1
    [
      { b: 2, l: 21, di: 33, n: 8, r: 8, gateWidth: 2 },
      { wc: 32, sp: 4, t: 8, unroll: 4, grouped: true, exp2: true, vecRows: true, share: true, halves: true },
    ],
    [
      { b: 1, l: 1, di: 4, n: 4, r: 4, gateWidth: 1 },
      { wc: 64, sp: 2, t: 16, unroll: 2, grouped: true, exp2: true, vecRows: true, halves: true },
    ],
    [
      { b: 3, l: 37, di: 17, n: 8, r: 3, gateWidth: 2 },
      { wc: 16, sp: 4, t: 16 },
    ],
    // the next tile's loads and stores written out: 'auto''s turn with 4 lanes (L 37: four tiles and a
    // part, two vec4s of rows and two of u and z an invocation); odd R and N through rowAt's padding
    // (T 4: 4 x 5 vec4s over 16 invocations, L 21 past the last tile); L = 1. SwiftShader's compiler
    // takes minutes or more once the written-out loads number in the tens: the tests keep them few
    [
      { b: 2, l: 37, di: 33, n: 16, r: 8, gateWidth: 2 },
      {
        wc: 16,
        sp: 4,
        t: 8,
        unroll: 4,
        grouped: true,
        exp2: true,
        vecRows: true,
        share: true,
        namedLoads: true,
      },
    ],
    [
      { b: 2, l: 21, di: 19, n: 5, r: 3, gateWidth: 1 },
      { wc: 16, sp: 1, t: 4, unroll: 2, grouped: true, namedLoads: true },
    ],
    [
      { b: 1, l: 1, di: 4, n: 8, r: 4, gateWidth: 2 },
      { wc: 64, sp: 2, t: 16, unroll: 2, grouped: true, exp2: true, vecRows: true, namedLoads: true },
    ],
    // y's sums over lanes by reduce-scatters: 4 lanes, U 4 (one group a turn) and U 8 (two), L 37 with
    // the last turn past L; 2 lanes, U 4; 4 lanes of two states (halves), L = 1
    [
      { b: 2, l: 37, di: 33, n: 16, r: 8, gateWidth: 2 },
      {
        wc: 16,
        sp: 4,
        t: 8,
        unroll: 4,
        grouped: true,
        exp2: true,
        vecRows: true,
        share: true,
        scatter: true,
      },
    ],
    [
      { b: 3, l: 37, di: 17, n: 16, r: 3, gateWidth: 1 },
      { wc: 8, sp: 4, t: 16, unroll: 8, grouped: true, share: true, scatter: true },
    ],
    [
      { b: 2, l: 21, di: 33, n: 8, r: 8, gateWidth: 2 },
      {
        wc: 32,
        sp: 2,
        t: 8,
        unroll: 4,
        grouped: true,
        exp2: true,
        vecRows: true,
        share: true,
        scatter: true,
      },
    ],
    [
      { b: 1, l: 1, di: 4, n: 8, r: 4, gateWidth: 2 },
      {
        wc: 32,
        sp: 4,
        t: 8,
        unroll: 4,
        grouped: true,
        vecRows: true,
        share: true,
        halves: true,
        scatter: true,
      },
    ],
    // u and z loaded by each lane for its own steps, a turn ahead (across tiles, past L): 4 lanes at
    // U 4 and U 8 (two groups a turn), L 37 and 45 (the last turn past L); 2 lanes with the gate read
    // from in_proj's [B, L, 2Di] output; L = 1
    [
      { b: 2, l: 37, di: 33, n: 16, r: 8, gateWidth: 2 },
      {
        wc: 16,
        sp: 4,
        t: 8,
        unroll: 4,
        grouped: true,
        exp2: true,
        vecRows: true,
        share: true,
        scatter: true,
        laneUz: true,
      },
    ],
    [
      { b: 3, l: 45, di: 17, n: 16, r: 3, gateWidth: 1 },
      { wc: 8, sp: 4, t: 16, unroll: 8, grouped: true, share: true, branchless: true, laneUz: true },
    ],
    [
      { b: 2, l: 21, di: 33, n: 8, r: 8, gateWidth: 2 },
      { wc: 32, sp: 2, t: 8, unroll: 2, grouped: true, exp2: true, vecRows: true, share: true, laneUz: true },
    ],
    [
      { b: 1, l: 1, di: 4, n: 16, r: 4, gateWidth: 2 },
      {
        wc: 64,
        sp: 4,
        t: 16,
        unroll: 4,
        grouped: true,
        vecRows: true,
        share: true,
        scatter: true,
        laneUz: true,
      },
    ],
    // u and z loaded 2 and 3 turns ahead: across tiles, past L, L shorter than the loads ahead
    [
      { b: 2, l: 37, di: 33, n: 16, r: 8, gateWidth: 2 },
      {
        wc: 16,
        sp: 4,
        t: 8,
        unroll: 4,
        grouped: true,
        exp2: true,
        share: true,
        scatter: true,
        laneUz: true,
        laneAhead: 2,
      },
    ],
    [
      { b: 3, l: 45, di: 17, n: 8, r: 3, gateWidth: 1 },
      {
        wc: 8,
        sp: 2,
        t: 8,
        unroll: 4,
        grouped: true,
        share: true,
        scatter: true,
        laneUz: true,
        laneAhead: 3,
      },
    ],
    [
      { b: 1, l: 5, di: 4, n: 16, r: 4, gateWidth: 2 },
      {
        wc: 64,
        sp: 4,
        t: 16,
        unroll: 4,
        grouped: true,
        share: true,
        scatter: true,
        laneUz: true,
        laneAhead: 4,
      },
    ],
  ];
  for (const [c, want] of cases) {
    const name = `B ${c.b}, L ${c.l}, Di ${c.di}, N ${c.n}, R ${c.r}, gate ${c.gateWidth} Di, ${want.wc} channels x ${want.sp} lanes, T ${want.t}, ${want.unroll ?? 1} steps written out${want.branchless ? ', softplus without branches' : ''}${want.grouped ? ', turn in phases' : ''}${want.exp2 ? ', exp2' : ''}${want.vecRows ? ', vec4 rows' : ''}${want.share ? ', inputs shared' : ''}${want.halves ? ', two states a lane' : ''}${want.namedLoads ? ', loads named' : ''}${want.scatter ? ', y scattered' : ''}${want.laneUz ? ', u and z by lane' : ''}${want.laneAhead ? ` ${want.laneAhead} turns ahead` : ''}`;
    it(`matches the reference: ${name}`, async (ctx) => {
      if (!gpu.ok) ctx.skip();
      if (want.sp > 1 && (lanes === null || lanes < want.sp)) ctx.skip();
      const zOffset = c.gateWidth === 2 ? c.di : 0;
      const inputs = scanInputs(c, 31 + c.l);
      const saved = { ...scanTuning };
      Object.assign(scanTuning, {
        forwardMode: 'staged',
        stagedChannels: want.wc,
        stagedLanes: want.sp,
        stagedSteps: want.t,
        stagedUnroll: want.unroll ?? 1,
        stagedSharedUnroll: want.unroll ?? 1,
        stagedBranchless: want.branchless ?? false,
        stagedGrouped: want.grouped ?? false,
        stagedExp2: want.exp2 ?? false,
        stagedVecRows: want.vecRows ?? false,
        stagedShare: want.share ?? false,
        stagedHalves: want.halves ?? false,
        stagedNamedLoads: want.namedLoads ?? false,
        stagedScatter: want.scatter ?? false,
        stagedLaneUz: want.laneUz ?? false,
        stagedLaneUzAhead: want.laneAhead ?? 1,
        // the by-lane layout takes its tile from stagedLaneUzSteps
        stagedLaneUzSteps: want.t,
      });
      const layout = stagedLayout(c.n, c.r, want, lanes, 1 << 20);
      expect(layout?.branchless).toBe(want.branchless);
      expect(layout?.grouped).toBe(want.grouped);
      expect(layout?.exp2).toBe(want.exp2);
      expect(layout?.vecRows).toBe(want.vecRows && vecRowsFit(c.r, c.n) ? true : undefined);
      expect(layout?.share).toBe(want.share);
      expect(layout?.halves).toBe(want.halves);
      expect(layout?.namedLoads).toBe(want.namedLoads);
      expect(layout?.scatter).toBe(want.scatter);
      expect(layout?.laneUz).toBe(want.laneUz);
      expect(layout?.laneAhead).toBe(want.laneAhead);
      // the kernel runs the layout wanted (the plan under these tunables, on this device)
      const storage = maxWorkgroupStorage(tf.backend());
      expect(stagedPlanFor({ n: c.n, r: c.r, b: c.b, di: c.di }, lanes, storage)).toEqual(
        stagedLayout(c.n, c.r, want, lanes, storage),
      );
      // without halves, N 8 is 2 lanes of a vec4 each, not 4
      if (!want.halves) expect(layout?.sp).toBeLessThanOrEqual(Math.max(1, c.n / 4));
      const programs = new Set<string>();
      try {
        const ref = await forwardValue('cpu', inputs, scanFunction(false, zOffset));
        setRawDispatchHook((p) => programs.add(p));
        const got = await forwardValue('webgpu', inputs, scanFunction(true, zOffset));
        setRawDispatchHook(null);
        expect([...programs].filter((p) => p.startsWith('Scan'))).toEqual(['ScanForwardStaged']);
        expect(relErr(got, ref), 'y').toBeLessThan(1e-5);
        expect(takeGpuErrors()).toEqual([]);
      } finally {
        setRawDispatchHook(null);
        Object.assign(scanTuning, saved);
      }
    });
  }

  // the bench's diagnostics: each runs, and each changes the output (the part it drops was there)
  it('each timing diagnostic runs and drops its part (finite output, not the reference)', async (ctx) => {
    if (!gpu.ok) ctx.skip();
    const c: ScanCase = { b: 2, l: 19, di: 70, n: 4, r: 3, gateWidth: 2 };
    const inputs = scanInputs(c, 31 + c.l);
    const saved = { ...scanTuning };
    try {
      const ref = await forwardValue('cpu', inputs, scanFunction(false, c.di));
      for (const grouped of [false, true])
        for (const diag of ['no-exp', 'no-delta', 'no-scan'] as const) {
          Object.assign(scanTuning, {
            forwardMode: 'staged',
            stagedChannels: 32,
            stagedLanes: 1,
            stagedSteps: 8,
            stagedUnroll: 4,
            stagedGrouped: grouped,
            stagedDiagnostic: diag,
          });
          const got = await forwardValue('webgpu', inputs, scanFunction(true, c.di));
          const what = `${diag}${grouped ? ', turn in phases' : ''}`;
          expect(got.every(Number.isFinite), what).toBe(true);
          expect(relErr(got, ref), what).toBeGreaterThan(1e-2);
        }
      expect(takeGpuErrors()).toEqual([]);
    } finally {
      Object.assign(scanTuning, saved);
    }
  });
});
