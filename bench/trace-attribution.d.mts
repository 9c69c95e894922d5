/** Types of trace-attribution.mjs (plain JS so that `node bench/browser-race.mjs` runs it as is). */
export interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  id?: string | number;
  cat?: string;
  args?: Record<string, unknown> & { name?: string; data?: Record<string, unknown> };
}
export interface Mapped {
  source: string;
  line: number;
  name: string | null;
}
export type Lookup = (url: string, line0: number, col0: number) => Mapped | null;
export interface Tally {
  label: string;
  ms: number;
}
export interface TaskAttribution {
  /** the task is the tracer's (the CPU profiler starting), not the page's */
  instrument: boolean;
  startUs: number;
  /** what set it going: 'timer → fn (file:line)', 'message from another thread → ...' */
  trigger: string;
  wallMs: number;
  cpuMs: number | null;
  kinds: Record<string, number>;
  events: Tally[];
  sampledMs: number;
  functions: Tally[];
  modules: Tally[];
  app: Tally[];
}
export function eventKind(name: string): string;
export function decodeVlqLine(text: string): number[][];
export function sourceMapLookup(map: {
  mappings: string;
  sources: string[];
  names?: string[];
}): (line0: number, col0: number) => Mapped | null;
export function sourceLabel(source: string): string;
export function attributeLongTasks(
  events: TraceEvent[],
  options?: { minMs?: number; lookup?: Lookup; top?: number },
): TaskAttribution[];
export function summariseAttribution(
  tasks: TaskAttribution[],
  top?: number,
): {
  count: number;
  instrument: number;
  wallMs: number;
  cpuMs: number;
  kinds: Tally[];
  modules: Tally[];
  functions: Tally[];
  app: Tally[];
  /** wall time of the tasks by trigger */
  triggers: Tally[];
};
export function describeTask(task: TaskAttribution): string;
