/**
 * Backend names and the backend report, without TensorFlow.js (the page imports these; the
 * selection itself is in backend.ts, which only workers import).
 */
export const BACKEND_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

export function isBackendName(name: unknown): name is BackendName {
  return typeof name === 'string' && (BACKEND_ORDER as readonly string[]).includes(name);
}

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** why it was not used (absent when ok) */
  reason?: string;
}

export interface BackendReport {
  /** the backend in use */
  name: BackendName;
  /** every candidate tried, in order, the chosen one last */
  attempts: BackendAttempt[];
  /** true when an earlier (faster) candidate was not available */
  fallback: boolean;
  /** e.g. the WebGPU adapter's vendor and architecture */
  detail: string;
  /** one readable line: "webgpu (swiftshader)" or "cpu: webgpu: no adapter; webgl: ..." */
  summary: string;
}
