/**
 * The offline manifest (`offline-manifest.json` beside index.html): the files the service worker
 * (public/sw.js) caches on install, so the page reloads without a network and plays its recordings.
 * Built at build time from the bundle's files and the public folder (vite.config.ts): source maps,
 * the manifest itself, the service worker and test pages are left out. `version` changes with the
 * list (a new build replaces the cached files).
 */

export interface OfflineManifest {
  version: string;
  /** paths relative to the page's base, sorted */
  files: string[];
}

const LEFT_OUT = [/\.map$/, /^offline-manifest\.json$/, /^sw\.js$/, /(^|\/)e2e\//, /^kernels\.html$/];

/** The manifest for these build files (paths relative to the output folder, '/' separated). */
export function offlineManifest(paths: readonly string[]): OfflineManifest {
  const files = [...new Set(paths.map((p) => p.replace(/^\.?\//, '')))]
    .filter((p) => p.length > 0 && !LEFT_OUT.some((r) => r.test(p)))
    .sort();
  // FNV-1a over the list: a new build (new hashed names) is a new version
  let h = 0x811c9dc5;
  for (const ch of files.join('\n')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return { version: h.toString(16).padStart(8, '0'), files };
}
