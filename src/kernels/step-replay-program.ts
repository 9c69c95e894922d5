/**
 * From two recorded steps that agree to the program a replayed step runs (step-replay.ts): writes
 * tagged with their input or kept as constant bytes, commands grouped between submits, the groups
 * merged where no later write touches a buffer an earlier command of the group uses.
 */
import { bindGroupBuffers } from './record-cache';
import {
  type CopyEvent,
  type DispatchEvent,
  type Recording,
  sameBytes,
  type WriteEvent,
} from './step-recording';

/** A write of a replayed step: from input `input`, or constant bytes. */
export type ReplayWrite =
  | { buffer: GPUBuffer; offset: number; input: number }
  | { buffer: GPUBuffer; offset: number; bytes: Uint8Array };

/** Writes, then commands, then a submit. */
export interface ReplayGroup {
  writes: ReplayWrite[];
  commands: Array<DispatchEvent | CopyEvent>;
}

export interface ReplayProgram {
  key: string;
  groups: ReplayGroup[];
  outputs: GPUBuffer[];
  /** byte length of each input the program writes */
  inputBytes: Map<number, number>;
  /** every buffer the program touches */
  buffers: Set<GPUBuffer>;
  /** buffers owned by live tensors when claimed (parameters, moments): their release ends the replay */
  persistent: Set<GPUBuffer>;
  /** scratch buffers taken out of the pool */
  claimed: GPUBuffer[];
  dispatches: number;
}

/** The buffers a command reads or writes (null: a bind group of unknown buffers). */
function touched(c: DispatchEvent | CopyEvent): GPUBuffer[] | null {
  if (c.kind === 'copy') return [c.src, c.dst];
  const out: GPUBuffer[] = [];
  for (const g of c.groups) {
    if (!g) continue;
    const bs = bindGroupBuffers(g);
    if (!bs) return null;
    out.push(...bs);
  }
  return out;
}

/**
 * The replay program of two recordings that agree, or why they do not. Writes are tagged with
 * the input whose bytes they carry in both recordings; any other write must carry the same bytes
 * in both.
 */
export function compile(key: string, a: Recording, b: Recording): ReplayProgram | string {
  if (a.problem) return a.problem;
  if (b.problem) return b.problem;
  if (a.events.length !== b.events.length)
    return `two recorded steps enqueued different work (${a.events.length} and ${b.events.length} commands)`;
  if (a.outputs.length !== b.outputs.length || a.outputs.some((o, i) => o !== b.outputs[i]))
    return 'two recorded steps left their loss in different buffers';
  const segments: Array<{ writes: ReplayWrite[]; commands: Array<DispatchEvent | CopyEvent> }> = [];
  let current: (typeof segments)[number] = { writes: [], commands: [] };
  const inputBytes = new Map<number, number>();
  let dispatches = 0;
  for (let i = 0; i < a.events.length; i++) {
    const x = a.events[i];
    const y = b.events[i];
    if (x.kind !== y.kind) return `two recorded steps differ at command ${i} (${x.kind} / ${y.kind})`;
    if (x.kind === 'submit') {
      segments.push(current);
      current = { writes: [], commands: [] };
    } else if (x.kind === 'dispatch') {
      const d = y as DispatchEvent;
      if (
        x.pipeline !== d.pipeline ||
        x.x !== d.x ||
        x.y !== d.y ||
        x.z !== d.z ||
        x.groups.length !== d.groups.length ||
        x.groups.some((g, j) => g !== d.groups[j])
      )
        return `two recorded steps differ at dispatch ${dispatches} (program, bindings or size)`;
      current.commands.push(x);
      dispatches++;
    } else if (x.kind === 'copy') {
      const c = y as CopyEvent;
      if (
        x.src !== c.src ||
        x.dst !== c.dst ||
        x.srcOffset !== c.srcOffset ||
        x.dstOffset !== c.dstOffset ||
        x.size !== c.size
      )
        return `two recorded steps differ at a buffer copy (command ${i})`;
      current.commands.push(x);
    } else {
      const w = y as WriteEvent;
      if (x.buffer !== w.buffer || x.offset !== w.offset || x.input !== w.input)
        return `two recorded steps upload into different buffers (command ${i})`;
      if (x.input !== null) {
        current.writes.push({ buffer: x.buffer, offset: x.offset, input: x.input });
        inputBytes.set(x.input, x.length);
      } else if (sameBytes(x.bytes, w.bytes)) {
        current.writes.push({ buffer: x.buffer, offset: x.offset, bytes: x.bytes });
      } else {
        return `the step uploads ${x.bytes.length} bytes that change from step to step and are none of its inputs`;
      }
    }
  }
  if (current.writes.length > 0 || current.commands.length > 0) segments.push(current);
  // Merge consecutive segments where the later one's writes touch no buffer the merged commands
  // (or writes) use: those writes may then run before all of them, as the queue runs writes
  // before the commands of the next submit.
  const groups: ReplayGroup[] = [];
  const buffers = new Set<GPUBuffer>();
  let used = new Set<GPUBuffer>();
  for (const s of segments) {
    const segmentBuffers: GPUBuffer[] = [];
    for (const c of s.commands) {
      const t = touched(c);
      if (!t) return 'a dispatch binds something other than buffers';
      segmentBuffers.push(...t);
    }
    for (const w of s.writes) buffers.add(w.buffer);
    for (const t of segmentBuffers) buffers.add(t);
    const last = groups[groups.length - 1];
    if (last && s.writes.every((w) => !used.has(w.buffer))) {
      last.writes.push(...s.writes);
      last.commands.push(...s.commands);
    } else {
      groups.push({ writes: [...s.writes], commands: [...s.commands] });
      used = new Set();
      for (const w of groups[groups.length - 1].writes) used.add(w.buffer);
    }
    for (const t of segmentBuffers) used.add(t);
    for (const w of s.writes) used.add(w.buffer);
  }
  for (const o of a.outputs) buffers.add(o);
  return {
    key,
    groups,
    outputs: a.outputs,
    inputBytes,
    buffers,
    persistent: new Set(),
    claimed: [],
    dispatches,
  };
}
