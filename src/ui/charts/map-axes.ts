/**
 * Pure helpers of the maps (attention, implicit attention, Delta, ||h_t||): what each token of the
 * probe prompt is (x, y, s, key, value, query, answer), which positions get a text tick, the colour
 * legend's range, the read-out of one cell and the keyboard cursor. No DOM.
 */
import type { ProbeDraft } from '../../tasks/probe-draft';

/** What a token of the probe prompt is. */
export type TokenRole = 'x' | 'y' | 's' | 'key' | 'value' | 'query' | 'answer';

export interface TokenLabel {
  role: TokenRole;
  /** short tick text, e.g. "x3", "y3", "x?" (the query), "k2", "v2", "q1" */
  short: string;
  /** spoken text, e.g. "x of example 3", "query x (example 10)" */
  long: string;
}

/** The roles' names, for the axis legend (in the order they are listed). */
export const ROLE_NAMES: Record<TokenRole, string> = {
  x: 'x (an input)',
  s: 's (a step of the chain)',
  y: 'y (its label)',
  key: 'key',
  value: 'value',
  query: 'query (the token asked about)',
  answer: 'answer',
};

function label(role: TokenRole, short: string, long: string): TokenLabel {
  return { role, short, long };
}

/**
 * The label of every position of a probe prompt of `seqLen` tokens built like `draft` (the
 * probe's prompt follows the experiment's draft; a curriculum may make it shorter or longer, so
 * the layout is extended with the same pattern). null draft: positions only.
 */
export function tokenLabels(draft: ProbeDraft | null, seqLen: number): TokenLabel[] {
  // one array per (draft, length): maps redrawn with a new probe keep their axes
  const byLength = draft ? LABELS.get(draft) : undefined;
  const cached = byLength?.get(seqLen);
  if (cached) return cached;
  const out = buildLabels(draft, seqLen);
  if (draft) LABELS.set(draft, (byLength ?? new Map<number, TokenLabel[]>()).set(seqLen, out));
  return out;
}

const LABELS = new WeakMap<ProbeDraft, Map<number, TokenLabel[]>>();

function buildLabels(draft: ProbeDraft | null, seqLen: number): TokenLabel[] {
  const out: TokenLabel[] = [];
  if (!draft) {
    for (let t = 0; t < seqLen; t++) out.push(label('x', `${t + 1}`, `token ${t + 1}`));
    return out;
  }
  switch (draft.kind) {
    case 'regression':
    case 'parity': {
      const stride = draft.kind === 'regression' ? draft.stride : 2;
      const names: TokenRole[] = stride === 3 ? ['x', 's', 'y'] : ['x', 'y'];
      // the query is the last example when the prompt is not the draft's own length
      const query = seqLen === draft.seqLen ? draft.query : Math.floor((seqLen - 1) / stride);
      for (let t = 0; t < seqLen; t++) {
        const ex = Math.floor(t / stride);
        const role = names[t % stride];
        if (ex === query && role === 'x')
          out.push(label('query', 'x?', `query x (example ${ex + 1}, its y is predicted)`));
        else out.push(label(role, `${role}${ex + 1}`, `${role} of example ${ex + 1}`));
      }
      return out;
    }
    case 'vector-recall': {
      const pairs = Math.floor((seqLen - 1) / 2);
      for (let t = 0; t < seqLen; t++) {
        const p = Math.floor(t / 2) + 1;
        if (t >= 2 * pairs) out.push(label('query', 'q', 'query (a copy of one key)'));
        else if (t % 2 === 0) out.push(label('key', `k${p}`, `key ${p}`));
        else out.push(label('value', `v${p}`, `value ${p}`));
      }
      return out;
    }
    case 'token-recall': {
      const queries = seqLen === draft.seqLen ? draft.nQueries : 0;
      const pairs = (seqLen - 2 * queries) / 2;
      for (let t = 0; t < seqLen; t++) {
        const i = Math.floor(t / 2) + 1;
        if (t < 2 * pairs) {
          if (t % 2 === 0) out.push(label('key', `k${i}`, `key ${i}`));
          else out.push(label('value', `v${i}`, `value ${i}`));
        } else {
          const q = Math.floor((t - 2 * pairs) / 2) + 1;
          if (t % 2 === 0) out.push(label('query', `q${q}`, `query ${q}`));
          else out.push(label('answer', `a${q}`, `answer ${q}`));
        }
      }
      return out;
    }
  }
}

/** The roles present in `labels`, in ROLE_NAMES order (for the axis legend). */
export function rolesOf(labels: readonly TokenLabel[]): TokenRole[] {
  const seen = new Set(labels.map((l) => l.role));
  return (Object.keys(ROLE_NAMES) as TokenRole[]).filter((r) => seen.has(r));
}

/**
 * Which of `n` positions get a text tick when each takes `cellPx` pixels and a tick needs
 * `minPx`: every k-th position from the first (k the smallest of 1, 2, 5, 10, 20, 50, ... that
 * fits) and the `always` ones (the queries); a regular tick that would overlap one of those is
 * left out.
 */
export function tickPositions(
  n: number,
  cellPx: number,
  minPx = 18,
  always: readonly number[] = [],
): number[] {
  if (n <= 0) return [];
  let k = 1;
  const steps = [1, 2, 5];
  for (let mag = 1; cellPx * k < minPx; ) {
    const next = steps.find((s) => s * mag > k);
    if (next !== undefined) k = next * mag;
    else {
      mag *= 10;
      k = mag;
    }
  }
  const keep = new Set(always.filter((i) => i >= 0 && i < n));
  const out = new Set<number>([0, ...keep]);
  for (let i = k; i < n; i += k) {
    // a regular tick too close to one kept on purpose is left out
    let clash = false;
    for (const a of keep) if (a !== i && Math.abs(a - i) * cellPx < minPx) clash = true;
    if (!clash) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

export interface ValueRange {
  min: number;
  max: number;
  /** the largest magnitude (the colour ramp's end) */
  absMax: number;
}

/** The finite range of a matrix (0s when nothing is finite). */
export function valueRange(data: ArrayLike<number>): ValueRange {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) return { min: 0, max: 0, absMax: 0 };
  return { min, max, absMax: Math.max(Math.abs(min), Math.abs(max)) };
}

/** A number for a legend or read-out: 3 significant digits, no "1e+2" (fixed below 1e4). */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'not a number' : v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  const s =
    a >= 1e4 || a < 1e-3
      ? v.toExponential(2).replace(/e\+?(-?)(\d+)$/, (_m, sign: string, exp: string) => `×10^${sign}${exp}`)
      : Number(v.toPrecision(3)).toString();
  return s.replaceAll('-', '−');
}

export interface CellAxis {
  /** what a position on this axis is called ("attending", "channel", ...) */
  name: string;
  /** labels per position (null: numbered from `from`) */
  labels: readonly TokenLabel[] | null;
  /** the number of the first position when unlabelled (default 1) */
  from?: number;
}

function position(axis: CellAxis, i: number): string {
  const l = axis.labels?.[i];
  return l ? `${axis.name} ${l.short} (${l.long})` : `${axis.name} ${i + (axis.from ?? 1)}`;
}

/** The read-out of one cell: "row x?, query x ... → column y3 ...: 0.134". */
export function readoutText(row: CellAxis, col: CellAxis, r: number, c: number, value: number): string {
  return `${position(row, r)}, ${position(col, c)}: ${formatValue(value)}`;
}

export interface Cursor {
  r: number;
  c: number;
}

/**
 * The cursor after a key (arrows move one cell, Home / End to the row's ends, PageUp / PageDown
 * ten rows); null when the key does not move it. Clamped into the map.
 */
export function moveCursor(cur: Cursor, key: string, rows: number, cols: number): Cursor | null {
  const clamp = (v: number, n: number) => Math.max(0, Math.min(n - 1, v));
  switch (key) {
    case 'ArrowUp':
      return { r: clamp(cur.r - 1, rows), c: cur.c };
    case 'ArrowDown':
      return { r: clamp(cur.r + 1, rows), c: cur.c };
    case 'ArrowLeft':
      return { r: cur.r, c: clamp(cur.c - 1, cols) };
    case 'ArrowRight':
      return { r: cur.r, c: clamp(cur.c + 1, cols) };
    case 'Home':
      return { r: cur.r, c: 0 };
    case 'End':
      return { r: cur.r, c: cols - 1 };
    case 'PageUp':
      return { r: clamp(cur.r - 10, rows), c: cur.c };
    case 'PageDown':
      return { r: clamp(cur.r + 10, rows), c: cur.c };
    default:
      return null;
  }
}

/** The cell under a point at (x, y) CSS pixels of a map drawn w x h CSS pixels for rows x cols cells. */
export function cellAt(
  x: number,
  y: number,
  w: number,
  h: number,
  rows: number,
  cols: number,
): Cursor | null {
  if (x < 0 || y < 0 || x >= w || y >= h || rows <= 0 || cols <= 0) return null;
  return {
    r: Math.min(rows - 1, Math.floor((y / h) * rows)),
    c: Math.min(cols - 1, Math.floor((x / w) * cols)),
  };
}
