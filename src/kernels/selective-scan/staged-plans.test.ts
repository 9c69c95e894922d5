/**
 * The row-staged forward's layouts (staged-layout.ts, plans.ts), no GPU needed: the rule fitting a
 * wanted layout to a device's subgroups and workgroup memory, the layout 'auto' takes for a problem
 * on a device, and the staged walk as the backward's starts pass. The kernel itself against the
 * reference: staged.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { scanTuning, stagedPlanFor, stagedStartsPlanFor } from './index';
import { stagedForwardProgram } from './staged-forward-program';
import { stagedForwardBytes, stagedLayout } from './staged-layout';

describe('row-staged forward layouts', () => {
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
    // without u and z by lane, the staged layout, at stagedSharedUnroll (8) steps a turn where the
    // inputs are shared; at 1 lane (nothing shared) 4 steps, as timed for that
    const staged = { ...scanTuning, stagedLaneUz: false };
    const stagedAuto = { ...timed, unroll: 8, sp: 4, share: true, scatter: true };
    expect(stagedPlanFor(paper, 32, 49152, staged)).toEqual(stagedAuto);
    expect(stagedPlanFor(paper, 2, 49152, staged)).toEqual({ ...stagedAuto, sp: 2 });
    expect(stagedPlanFor(paper, 32, 49152, { ...staged, stagedSharedUnroll: 4 })).toEqual({
      ...stagedAuto,
      unroll: 4,
    });
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
    // 'auto''s chunk of 16 steps, and 32: whole turns of 4 steps; the forward's staged layout at
    // stagedUnroll steps a turn (it stages u itself: never u and z by lane; 4 steps a turn, so that
    // the staged backward's chunks of 4 and 8 are whole turns)
    const staged = { ...scanTuning, stagedLaneUz: false, stagedSharedUnroll: scanTuning.stagedUnroll };
    const walk = stagedPlanFor(paper, 32, 49152, { ...on, ...staged });
    expect(stagedStartsPlanFor(paper, 16, 32, 49152, on)).toEqual(walk);
    expect(walk?.laneUz).toBeUndefined();
    expect(walk?.unroll).toBe(4);
    expect(stagedStartsPlanFor(paper, 4, 32, 49152, on)?.unroll).toBe(4);
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
});
