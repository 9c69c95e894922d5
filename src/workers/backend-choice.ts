/**
 * The backend decision, pure (no TensorFlow.js; the page and the workers both import it): what the
 * probe measured on each candidate (src/workers/training/measure.ts) -> the backend to train on and
 * one readable reason ("wasm: software GPU found (SwiftShader); wasm is 40x faster here").
 *
 * Rules (auto): the fastest measured candidate wins; a software GPU (SwiftShader, llvmpipe: a CPU
 * emulating a GPU) is named in the reason when a CPU backend beat it. A candidate that was not
 * timed (too slow for the probe's budget) loses to any timed one. An explicit preference (the
 * Backend control) wins when that backend works; otherwise the auto choice, saying why.
 */
import { BACKEND_ORDER, type BackendName, isBackendName } from './backend-types';

export type BackendPreference = 'auto' | BackendName;

export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', ...BACKEND_ORDER];

export function isBackendPreference(v: unknown): v is BackendPreference {
  return v === 'auto' || isBackendName(v);
}

/** What the probe found out about one candidate backend. */
export interface CandidateMeasure {
  name: BackendName;
  /** the backend started and computed a correct result */
  ok: boolean;
  /** why it does not work (when !ok) */
  reason?: string;
  /** the software renderer behind a GPU backend ('SwiftShader', 'llvmpipe'), null for a real GPU */
  software?: string | null;
  /** milliseconds of one probe training step (after a warm-up); null when not timed */
  msPerStep: number | null;
  /** when not timed: the step took longer than this (ms) */
  overMs?: number;
  /** a software GPU not started, since a CPU backend already works */
  skipped?: boolean;
}

export interface BackendChoice {
  name: BackendName;
  /** one line for the status line and Diagnostics */
  reason: string;
  /** the chosen backend's probe step (ms), null when not timed */
  msPerStep: number | null;
}

const SOFTWARE_RENDERERS: Array<[RegExp, string]> = [
  [/swift\s*shader/i, 'SwiftShader'],
  [/llvmpipe/i, 'llvmpipe'],
  [/softpipe/i, 'softpipe'],
  [/lavapipe/i, 'lavapipe'],
  [/microsoft basic render/i, 'Microsoft Basic Render Driver'],
];

/**
 * The software renderer named in a GPU description (WebGPU adapter info, WebGL's unmasked
 * renderer), or null for a hardware GPU. `fallbackAdapter`: WebGPU's isFallbackAdapter.
 */
export function softwareRenderer(description: string, fallbackAdapter = false): string | null {
  for (const [re, name] of SOFTWARE_RENDERERS) if (re.test(description)) return name;
  return fallbackAdapter ? 'a fallback adapter' : null;
}

function ratio(slow: number, fast: number): string {
  const r = slow / fast;
  return r >= 10 ? `${Math.round(r)}x` : `${r.toFixed(1)}x`;
}

function timed(m: CandidateMeasure): m is CandidateMeasure & { msPerStep: number } {
  return m.ok && m.msPerStep !== null && Number.isFinite(m.msPerStep) && m.msPerStep > 0;
}

function autoChoice(measures: readonly CandidateMeasure[]): BackendChoice {
  const working = measures.filter((m) => m.ok);
  if (working.length === 0) {
    const why = measures.map((m) => `${m.name}: ${m.reason ?? 'failed'}`).join('; ');
    return {
      name: 'cpu',
      reason: `cpu: no other backend works here (${why || 'nothing probed'})`,
      msPerStep: null,
    };
  }
  const byTime = working.filter(timed).sort((a, b) => a.msPerStep - b.msPerStep);
  const best = byTime[0] ?? BACKEND_ORDER.map((n) => working.find((m) => m.name === n)).find(Boolean)!;
  const name = best.name;
  const others = working.filter((m) => m !== best);
  const msPerStep = timed(best) ? best.msPerStep : null;
  if (others.length === 0) return { name, reason: `${name}: the only backend that works here`, msPerStep };
  if (msPerStep === null)
    return {
      name,
      reason: `${name}: no backend finished the probe in time; the first that works`,
      msPerStep,
    };
  // how much faster than a software GPU, or than the runner-up
  const software = others.find((m) => m.software);
  const rival = software ?? byTime[1] ?? others[0];
  const own = Math.round(msPerStep);
  if (software && !best.software) {
    const faster = timed(software)
      ? `${name} is ${ratio(software.msPerStep, msPerStep)} faster here`
      : software.skipped
        ? `skipped for ${name} (${own} ms a probe step here)`
        : `a probe step took over ${Math.round(software.overMs ?? 0)} ms on ${software.name}, ${own} ms on ${name}`;
    return { name, reason: `${name}: software GPU found (${software.software}); ${faster}`, msPerStep };
  }
  const versus = timed(rival)
    ? `${ratio(rival.msPerStep, msPerStep)} faster than ${rival.name}`
    : `${rival.name} over ${Math.round(rival.overMs ?? 0)} ms`;
  return { name, reason: `${name}: fastest here (${own} ms a probe step; ${versus})`, msPerStep };
}

/** The backend to train on, from what the probe measured, honouring the Backend control. */
export function chooseBackend(
  measures: readonly CandidateMeasure[],
  preference: BackendPreference = 'auto',
): BackendChoice {
  if (preference !== 'auto') {
    const m = measures.find((x) => x.name === preference);
    if (m?.ok) {
      return {
        name: preference,
        reason: `${preference}: chosen in the Backend control`,
        msPerStep: timed(m) ? m.msPerStep : null,
      };
    }
    const auto = withUnavailable(autoChoice(measures), measures);
    const why = m ? (m.reason ?? 'it failed') : 'it was not probed';
    return { ...auto, reason: `${auto.reason} (${preference} does not work here: ${why})` };
  }
  return withUnavailable(autoChoice(measures), measures);
}

/** The reason, with the candidates that do not work here and why ("webgpu: no adapter"). */
function withUnavailable(choice: BackendChoice, measures: readonly CandidateMeasure[]): BackendChoice {
  const failed = measures.filter((m) => !m.ok && m.name !== choice.name);
  if (failed.length === 0 || choice.reason.includes('no other backend works')) return choice;
  const list = failed.map((m) => `${m.name} (${m.reason ?? 'failed'})`).join(', ');
  return { ...choice, reason: `${choice.reason}; not available here: ${list}` };
}

export interface MeasureRequest {
  /** the Backend control's choice */
  preference?: BackendPreference;
  /** candidates to probe (default all) */
  candidates?: readonly BackendName[];
  /** time the experiment's models on the chosen backend (default true) */
  models?: boolean;
  /** wasm threads, as the training workers will have them (SessionOptions.wasmThreads) */
  wasmThreads?: number;
}

export interface MeasureResult {
  measures: CandidateMeasure[];
  choice: BackendChoice;
  /** ms of one training step of each model of the experiment on the chosen backend (null: not timed) */
  modelMs: Array<number | null>;
  /** how long the backend probe took (ms; the models' timing not included) */
  probeMs: number;
}

/** The order the training workers try: the choice, then the usual fallbacks after it. */
export function backendOrder(name: BackendName): BackendName[] {
  return BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(name));
}
