/**
 * The row-staged scan forward (staged-forward-program.ts) on WebGPU (Dawn + SwiftShader) against the
 * plain-ops reference on cpu: the output, relative error < 1e-5 (the backward it pairs with is
 * blocks.test.ts's and webgpu.test.ts's), on L = 1, L shorter than a tile, L not a multiple of the tile, odd R and N (rows padded to
 * whole vec4s), channels not a multiple of the workgroup's, a large batch, the gate read from
 * in_proj's [B, L, 2Di] output, and a channel's states split over 2 and 4 lanes of a subgroup
 * (SwiftShader's subgroups have 4 lanes). Also the layout rule.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeGpuErrors } from '../backend';
import { registerAllKernels } from '../register';
import { setRawDispatchHook, subgroupMinSize } from '../runner';
import { type ScanCase, scanFunction, scanInputs } from '../testing/checks';
import { forwardValue, relErr } from '../testing/helpers';
import { setupWebGpu } from '../testing/webgpu';
import { scanTuning, stagedPlanFor, stagedStartsPlanFor } from './index';
import { stagedForwardProgram } from './staged-forward-program';
import { type StagedLayout, stagedForwardBytes, stagedLayout, vecRowsFit } from './staged-layout';

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
  it('layout: lanes per channel only with subgroups and whole vec4s, the staging within the memory', () => {
    const big = 1 << 20;
    expect(stagedLayout(16, 8, { wc: 64, sp: 2, t: 16 }, 32, big)).toEqual({ wc: 64, sp: 2, t: 16 });
    expect(stagedLayout(16, 8, { wc: 64, sp: 2, t: 16 }, null, big)).toEqual({ wc: 64, sp: 1, t: 16 });
    expect(stagedLayout(16, 8, { wc: 64, sp: 8, t: 16 }, 4, big)?.sp).toBe(4);
    expect(stagedLayout(16, 8, { wc: 64, sp: 8, t: 16 }, 32, big)?.sp).toBe(4);
    expect(stagedLayout(8, 8, { wc: 64, sp: 8, t: 16 }, 32, big)?.sp).toBe(2);
    expect(stagedLayout(12, 8, { wc: 64, sp: 2, t: 16 }, 32, big)?.sp).toBe(1);
    expect(stagedLayout(16, 8, { wc: 256, sp: 4, t: 16 }, 32, big)?.wc).toBe(64);
    // a tile: rows of 2 + 4 + 4 vec4s, and u, z of 64 channels; two tiles of 16 steps are 21504 bytes
    expect(stagedForwardBytes(16, 8, 16, 64)).toBe(21504);
    // a turn in phases and exp2 change no memory; the layout keeps them
    expect(stagedLayout(16, 8, { wc: 64, sp: 1, t: 16, grouped: true, exp2: true }, null, 12288)).toEqual({
      wc: 64,
      sp: 1,
      t: 8,
      grouped: true,
      exp2: true,
    });
    expect(stagedLayout(16, 8, { wc: 64, sp: 1, t: 16 }, null, 16384)).toEqual({ wc: 64, sp: 1, t: 8 });
    // the tile halves to 4 steps, then the channels
    expect(stagedLayout(16, 8, { wc: 64, sp: 1, t: 4 }, null, 4096)).toEqual({ wc: 32, sp: 1, t: 4 });
    expect(stagedLayout(64, 8, { wc: 64, sp: 1, t: 16 }, null, 64)).toBeNull();
    // steps written out: a power of two, at most the tile
    expect(stagedLayout(16, 8, { wc: 64, sp: 1, t: 8, unroll: 16 }, null, big)?.unroll).toBe(8);
    expect(stagedLayout(16, 8, { wc: 64, sp: 1, t: 8, unroll: 3 }, null, big)?.unroll).toBe(2);
    // rows copied as x_dbl's vec4s only where R and N are multiples of 4
    expect(stagedLayout(16, 8, { wc: 64, sp: 1, t: 16, vecRows: true }, null, big)?.vecRows).toBe(true);
    expect(stagedLayout(16, 6, { wc: 64, sp: 1, t: 16, vecRows: true }, null, big)?.vecRows).toBeUndefined();
    expect(stagedLayout(5, 8, { wc: 64, sp: 1, t: 16, vecRows: true }, null, big)?.vecRows).toBeUndefined();
    const dims = { b: 2, l: 9, di: 8, r: 8, n: 16, s: 40, zw: 8, zOffset: 0 };
    const vec = stagedForwardProgram(dims, { wc: 64, sp: 1, t: 16, vecRows: true }).wgsl();
    expect(vec).toContain('var<storage, read> xdbl: array<vec4<f32>>;');
    expect(vec).not.toContain('fn rowAt');
    const odd = stagedForwardProgram(
      { ...dims, r: 6, s: 38 },
      { wc: 64, sp: 1, t: 16, vecRows: true },
    ).wgsl();
    expect(odd).toContain('var<storage, read> xdbl: array<f32>;');
    expect(odd).toContain('fn rowAt');
  });

  it("'auto''s layout: 4 lanes a channel sharing a turn's inputs, u and z by lane in tiles of 32, where subgroups are usable; else fewer, staged as before; never a shrunk tile", () => {
    const paper = { n: 16, r: 8 };
    const timed = { wc: 64, t: 16, unroll: 4, branchless: true, grouped: true, exp2: true, vecRows: true };
    // u and z by lane wherever the inputs are shared (and y scattered), with its own tile of 32 steps
    const byLane = { ...timed, t: 32, share: true, scatter: true, laneUz: true };
    expect(stagedPlanFor(paper, 32, 49152)).toEqual({ ...byLane, sp: 4 });
    // subgroups of 2 lanes: 2 lanes, still sharing
    expect(stagedPlanFor(paper, 2, 49152)).toEqual({ ...byLane, sp: 2 });
    // its staging is only the rows, 2 x 32 x 10 vec4s: it fits 16 KiB, where the staged u and z did not
    expect(stagedPlanFor(paper, 32, 16384)).toEqual({ ...byLane, sp: 4 });
    expect(stagedPlanFor(paper, 32, 8192)).toBeNull();
    // no usable subgroups (none, or the layout check failed): the staged layout at 1 lane, nothing shared
    expect(stagedPlanFor(paper, null, 49152)).toEqual({ ...timed, sp: 1 });
    expect(stagedPlanFor(paper, null, 16384)).toBeNull();
    // without u and z by lane, the staged layout as before
    const staged = { ...scanTuning, stagedLaneUz: false };
    expect(stagedPlanFor(paper, 32, 49152, staged)).toEqual({ ...timed, sp: 4, share: true, scatter: true });
    // N 8 and N 4: a lane's states must be whole vec4s (2 lanes; 1); R 6: rows copied through the padding
    expect(stagedPlanFor({ n: 8, r: 8 }, 32, 49152)?.sp).toBe(2);
    expect(stagedPlanFor({ n: 4, r: 8 }, 32, 49152)?.sp).toBe(1);
    expect(stagedPlanFor({ n: 4, r: 8 }, 32, 49152)?.laneUz).toBeUndefined();
    expect(stagedPlanFor({ n: 16, r: 6 }, 32, 49152)?.vecRows).toBeUndefined();
    // the tile would have to shrink: 'auto' runs another forward; 'staged' takes the shrunk one
    expect(stagedPlanFor(paper, 32, 16384, staged)).toBeNull();
    expect(stagedPlanFor(paper, 32, 16384, { ...staged, forwardMode: 'staged' })?.t).toBe(8);
    expect(stagedPlanFor(paper, 32, 4096, { ...scanTuning, forwardMode: 'staged' })?.t).toBe(8);
    expect(stagedPlanFor(paper, 32, 49152, { ...scanTuning, staged: false })).toBeNull();
    // by lane only from stagedLaneUzFromGroups workgroups (B x Di / 64) on; fewer: the staged u and z
    const stagedAuto = { ...timed, sp: 4, share: true, scatter: true };
    expect(stagedPlanFor({ ...paper, b: 64, di: 512 }, 32, 49152)).toEqual({ ...byLane, sp: 4 });
    expect(stagedPlanFor({ ...paper, b: 100, di: 256 }, 32, 49152)).toEqual({ ...byLane, sp: 4 });
    expect(stagedPlanFor({ ...paper, b: 64, di: 256 }, 32, 49152)).toEqual(stagedAuto);
    expect(stagedPlanFor({ ...paper, b: 96, di: 256 }, 32, 49152)).toEqual({ ...byLane, sp: 4 });
    expect(stagedPlanFor({ ...paper, b: 95, di: 256 }, 32, 49152)).toEqual(stagedAuto);
    // Di 200 is 4 workgroups a prompt, as Di 256
    expect(stagedPlanFor({ ...paper, b: 95, di: 200 }, 32, 49152)).toEqual(stagedAuto);
    expect(stagedPlanFor({ ...paper, b: 96, di: 193 }, 32, 49152)).toEqual({ ...byLane, sp: 4 });
    // the few workgroups' staged layout needs its own memory: where only the rows fit, none
    expect(stagedPlanFor({ ...paper, b: 4, di: 64 }, 32, 16384)).toBeNull();
    // 'staged' asked for: by lane whatever the size
    const forced = { ...scanTuning, forwardMode: 'staged' as const };
    expect(stagedPlanFor({ ...paper, b: 1, di: 64 }, 32, 49152, forced)?.laneUz).toBe(true);
  });

  it("the backward's starts by the staged walk: where asked for and its loop turns make up the chunk", () => {
    const paper = { n: 16, r: 8 };
    const on = { ...scanTuning, blocksStartsStaged: true };
    // 'auto''s chunk of 16 steps, and 32: whole turns of 4 steps; the forward's staged layout (it
    // stages u itself: never u and z by lane)
    const staged = stagedPlanFor(paper, 32, 49152, { ...on, stagedLaneUz: false });
    expect(stagedStartsPlanFor(paper, 16, 32, 49152, on)).toEqual(staged);
    expect(staged?.laneUz).toBeUndefined();
    expect(stagedStartsPlanFor(paper, 32, 32, 49152, on)?.sp).toBe(4);
    // a chunk of 6 or 18 steps is not whole turns: the one-lane walk
    expect(stagedStartsPlanFor(paper, 6, 32, 49152, on)).toBeNull();
    expect(stagedStartsPlanFor(paper, 18, 32, 49152, on)).toBeNull();
    // without subgroups, at 1 lane; off where not asked for, whatever the forward runs
    expect(stagedStartsPlanFor(paper, 16, null, 49152, on)?.sp).toBe(1);
    expect(stagedStartsPlanFor(paper, 16, 32, 49152, { ...on, blocksStartsStaged: false })).toBeNull();
    expect(stagedStartsPlanFor(paper, 16, 32, 49152, { ...on, forwardMode: 'sequential' })?.sp).toBe(4);
    // a device whose workgroup memory cannot hold even the smallest tile
    expect(stagedStartsPlanFor(paper, 16, 32, 64, on)).toBeNull();
  });

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
