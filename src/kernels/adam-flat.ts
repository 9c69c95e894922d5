/**
 * The flat layout of FusedAdam (src/kernels/adam.ts) and its two WGSL programs.
 *
 * Every parameter that gets a gradient has a range [offset, offset + size) of one flat index space
 * of P floats, in the order of the model's parameters. The optimiser keeps, on the GPU, one
 * `state` [4, P] (one buffer, one binding): exp_avg in row 0, exp_avg_sq in row 1, this step's
 * gradients (copied out of tfjs's gradient tensors) in row 2, and in row 3 the sums of squares of
 * the gradients, one per chunk of 256 x itemsPerThread floats (C <= P of them).
 * A step is then
 *   1. `AdamPackGrads`, once per group of up to (storage buffers - 1) gradients: each workgroup
 *      copies one chunk of the group's range into state row 2 and writes the chunk's sum of squares
 *      into row 3;
 *   2. `AdamFlat`, once per group of up to (storage buffers - 2) parameters ((storage buffers - 3)
 *      in the first group, which also writes the norm): each workgroup sums the chunk sums (same
 *      order everywhere, so every workgroup gets the same total), derives the clip coefficient
 *      min(1, maxNorm / (norm + 1e-6)), and updates its 256 elements of the moments and of the
 *      parameters in place. The two numbers that change every step (the bias-corrected step size
 *      and sqrt(1 - beta2^t)) come in as a 2-float storage input, not as uniforms, so that every
 *      step binds the same buffers (a step replayed by step-replay.ts writes that input only).
 * So ~P/11 + P/11 dispatches for P parameter tensors at 12 storage buffers, instead of one
 * sum-of-squares dispatch per 10 gradients plus one Adam dispatch per 2 parameters.
 */

import { bindings } from './common';
import { dispatch1d, type RawProgram } from './runner';

const WG = 256;

/** Tunables (tests shrink them to cover group and chunk boundaries with few parameters). */
export const adamTuning = {
  /** storage buffers a program may bind (0: the device's limit, at most 16) */
  maxBuffers: 0,
  /** gradient elements per thread of the pack program (a chunk is 256 x this) */
  itemsPerThread: 16,
};

export interface FlatEntry {
  name: string;
  shape: number[];
  size: number;
  offset: number;
}

/** A range of consecutive entries handled by one dispatch. */
export interface FlatGroup {
  entries: FlatEntry[];
  start: number;
  end: number;
  /** pack groups: index of the group's first chunk in `partials` */
  firstChunk: number;
  /** pack groups: chunks in this group */
  chunks: number;
  /**
   * pack groups: which entries the program binds (absent: all); an unbound entry's gradient is
   * already in state row 2 (summed there by its reduction, linear-grad-reduce.ts `reduceInto`)
   */
  bound?: readonly boolean[];
}

export interface FlatLayout {
  entries: FlatEntry[];
  byName: Map<string, FlatEntry>;
  /** P: floats in the flat space */
  total: number;
  /** C: chunks over all pack groups */
  chunks: number;
  chunkSize: number;
  pack: FlatGroup[];
  adam: FlatGroup[];
}

/** consecutive groups of `perGroup` entries (`firstGroup` in the first) */
function groupsOf(
  entries: FlatEntry[],
  perGroup: number,
  chunkSize: number,
  firstGroup = perGroup,
): FlatGroup[] {
  const groups: FlatGroup[] = [];
  let firstChunk = 0;
  for (let i = 0; i < entries.length; i += groups.length === 1 ? firstGroup : perGroup) {
    const part = entries.slice(i, i + (groups.length === 0 ? firstGroup : perGroup));
    const start = part[0].offset;
    const end = part[part.length - 1].offset + part[part.length - 1].size;
    const chunks = Math.max(1, Math.ceil((end - start) / chunkSize));
    groups.push({ entries: part, start, end, firstChunk, chunks });
    firstChunk += chunks;
  }
  return groups;
}

/**
 * The pack groups when some gradients are in state row 2 already (`inRow(name)`): consecutive
 * entries, each group binding at most `buffers - 1` gradients (those already in the row cost no
 * binding, so the groups are fewer); with the layout's `chunks` for them.
 */
export function packGroupsFor(
  layout: FlatLayout,
  inRow: (name: string) => boolean,
  buffers: number,
): { pack: FlatGroup[]; chunks: number } {
  const pack: FlatGroup[] = [];
  let firstChunk = 0;
  let part: FlatEntry[] = [];
  let bound = 0;
  const close = () => {
    if (part.length === 0) return;
    const start = part[0].offset;
    const end = part[part.length - 1].offset + part[part.length - 1].size;
    const chunks = Math.max(1, Math.ceil((end - start) / layout.chunkSize));
    pack.push({ entries: part, start, end, firstChunk, chunks, bound: part.map((e) => !inRow(e.name)) });
    firstChunk += chunks;
    part = [];
    bound = 0;
  };
  for (const e of layout.entries) {
    const binds = !inRow(e.name);
    if (binds && bound === buffers - 1) close();
    part.push(e);
    if (binds) bound++;
  }
  close();
  return { pack, chunks: firstChunk };
}

/** The flat layout of `params` (name and shape, in order) for a device binding `buffers` storage buffers. */
export function flatLayout(
  params: ReadonlyArray<{ name: string; shape: readonly number[] }>,
  buffers: number,
): FlatLayout {
  if (buffers < 5)
    throw new Error(`the flat Adam needs 5 storage buffers per program, the device allows ${buffers}`);
  const entries: FlatEntry[] = [];
  let total = 0;
  for (const p of params) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    entries.push({ name: p.name, shape: [...p.shape], size, offset: total });
    total += size;
  }
  const chunkSize = WG * adamTuning.itemsPerThread;
  const pack = groupsOf(entries, buffers - 1, chunkSize);
  const adam = groupsOf(entries, buffers - 2, chunkSize, buffers - 3);
  const last = pack[pack.length - 1];
  return {
    entries,
    byName: new Map(entries.map((e) => [e.name, e])),
    total,
    chunks: last ? last.firstChunk + last.chunks : 0,
    chunkSize,
    pack,
    adam,
  };
}

/** Storage buffers the flat programs may bind on a device with `deviceLimit`. */
export function flatBuffers(deviceLimit: number): number {
  return adamTuning.maxBuffers > 0 ? Math.min(adamTuning.maxBuffers, deviceLimit) : Math.min(deviceLimit, 16);
}

/** `if (i < uni.end0) { ... } else if ...` over a group's entries (`body(k)` sees `j`, the local index). */
function branches(k: number, body: (i: number) => string): string {
  return Array.from(
    { length: k },
    (_, i) => `${i === 0 ? '' : 'else '}if (i < uni.end${i}) { let j = i - uni.start${i}; ${body(i)} }`,
  ).join(' ');
}

function rangeUniforms(group: FlatGroup) {
  return group.entries.flatMap((e) => [
    { type: 'uint32' as const, data: [e.offset] },
    { type: 'uint32' as const, data: [e.offset + e.size] },
  ]);
}

function rangeFields(k: number): string {
  return Array.from({ length: k }, (_, i) => `start${i}: u32, end${i}: u32`).join(', ');
}

const TREE = /* wgsl */ `
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] += part[lid + s]; }
    workgroupBarrier();
  }`;

/**
 * Pack one group of gradients into row 2 of the state (binding 0) and write one sum of squares per
 * chunk into its row 3; inputs: the group's gradient tensors.
 */
export function packProgram(layout: FlatLayout, group: FlatGroup): RawProgram {
  const k = group.entries.length;
  const items = layout.chunkSize / WG;
  const dispatch = dispatch1d(group.chunks, 1);
  const bound = group.bound ?? group.entries.map(() => true);
  const ins = group.entries.flatMap((_, i) => (bound[i] ? [`g${i}`] : []));
  // an entry already in row 2 is read from there (its sum of squares is still this program's)
  const read = (i: number) =>
    bound[i] ? `g = g${i}[j]; state[uni.gradRow + i] = g;` : 'g = state[uni.gradRow + i];';
  return {
    name: 'AdamPackGrads',
    key: `adam_pack_${k}_${items}_${bound.map((b) => (b ? 1 : 0)).join('')}`,
    dispatch,
    uniforms: [
      ...rangeUniforms(group),
      { type: 'uint32', data: [group.start] },
      { type: 'uint32', data: [group.end] },
      { type: 'uint32', data: [group.firstChunk] },
      { type: 'uint32', data: [group.chunks] },
      { type: 'uint32', data: [dispatch[0]] },
      { type: 'uint32', data: [2 * layout.total] },
      { type: 'uint32', data: [3 * layout.total] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(['state'], ins, `${rangeFields(k)}, groupStart: u32, groupEnd: u32, firstChunk: u32, chunks: u32, nx: u32, gradRow: u32, sumRow: u32`)}
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * uni.nx;
  let chunkStart = uni.groupStart + w * ${layout.chunkSize}u;
  var acc = 0.0;
  for (var r = 0u; r < ${items}u; r++) {
    let i = chunkStart + r * ${WG}u + lid;
    if (i < uni.groupEnd) {
      var g = 0.0;
      ${branches(k, read)}
      acc += g * g;
    }
  }
${TREE}
  if (lid == 0u && w < uni.chunks) { state[uni.sumRow + uni.firstChunk + w] = part[0]; }
}
`,
  };
}

/** The settings of a step; the per-step step size and sqrt(1 - beta2^t) are the program's input. */
export interface AdamStepConstants {
  beta1: number;
  beta2: number;
  eps: number;
  /** null: no clipping */
  maxNorm: number | null;
}

/**
 * Adam in place over one group of parameters. Outputs (read_write): the group's parameters, the
 * state [4, P], and in the first group the norm [1]; input: [stepSize, sqrt(1 - beta2^t)].
 */
export function flatAdamProgram(layout: FlatLayout, group: FlatGroup, c: AdamStepConstants): RawProgram {
  const k = group.entries.length;
  const params = group.entries.map((_, i) => `p${i}`);
  const dispatch = dispatch1d(group.end - group.start, WG);
  const clip = c.maxNorm !== null;
  const first = group === layout.adam[0];
  return {
    name: 'AdamFlat',
    key: `adam_flat_${k}_${clip}_${first}`,
    dispatch,
    uniforms: [
      ...rangeUniforms(group),
      { type: 'uint32', data: [group.start] },
      { type: 'uint32', data: [group.end] },
      { type: 'uint32', data: [layout.chunks] },
      { type: 'uint32', data: [layout.total] },
      { type: 'uint32', data: [dispatch[0]] },
      { type: 'float32', data: [c.maxNorm ?? 0] },
      { type: 'float32', data: [c.beta1] },
      { type: 'float32', data: [c.beta2] },
      { type: 'float32', data: [c.eps] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(
  first ? [...params, 'state', 'norm'] : [...params, 'state'],
  ['stepScalars'],
  `${rangeFields(k)}, groupStart: u32, groupEnd: u32, chunks: u32, total: u32, nx: u32, maxNorm: f32, beta1: f32, beta2: f32, eps: f32`,
)}
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * uni.nx;
  var acc = 0.0;
  for (var j = lid; j < uni.chunks; j += ${WG}u) { acc += state[3u * uni.total + j]; }
${TREE}
  let normValue = sqrt(part[0]);
  ${first ? 'if (w == 0u && lid == 0u) { norm[0] = normValue; }' : ''}
  let c = ${clip ? 'min(1.0, uni.maxNorm / (normValue + 1e-6))' : '1.0'};
  let i = uni.groupStart + w * ${WG}u + lid;
  if (i >= uni.groupEnd) { return; }
  let g = state[2u * uni.total + i] * c;
  let m = state[i] + (1.0 - uni.beta1) * (g - state[i]);
  let v = uni.beta2 * state[uni.total + i] + (1.0 - uni.beta2) * g * g;
  state[i] = m;
  state[uni.total + i] = v;
  let d = m / (sqrt(v) / stepScalars[1] + uni.eps) * stepScalars[0];
  ${branches(k, (i) => `p${i}[j] = p${i}[j] - d;`)}
}
`,
  };
}
