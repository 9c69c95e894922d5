// @ts-check
/// <reference lib="webworker" />
/**
 * ICL Lab's service worker (registered by src/main.tsx in production builds only): a classroom that
 * lost its network can still reload the page and watch a recorded run.
 *
 * Install: every file of the build listed in `offline-manifest.json` (the app shell, its scripts and
 * workers, the wasm binaries, the recordings of public/replays/; written at build time by the
 * `icl-offline-manifest` plugin of vite.config.ts) goes
 * into one cache; entries of older builds are dropped. Fetch (same-origin GET only): the hashed
 * build files under assets/ from the cache first (they never change); everything else from the
 * network first, the cached copy when offline; a page navigation offline gets the cached shell.
 */
const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
const CACHE = 'icl-lab-offline';
const MANIFEST = 'offline-manifest.json';
const scoped = (/** @type {string} */ path) => new URL(path, sw.registration.scope).href;

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const response = await fetch(scoped(MANIFEST), { cache: 'no-cache' });
      if (!response.ok) throw new Error(`${MANIFEST}: HTTP ${response.status}`);
      /** @type {{ version: string; files: string[] }} */
      const manifest = await response.json();
      const wanted = new Set(['./', ...manifest.files].map(scoped));
      const cache = await caches.open(CACHE);
      await cache.addAll([...wanted].map((url) => new Request(url, { cache: 'no-cache' })));
      for (const request of await cache.keys()) if (!wanted.has(request.url)) await cache.delete(request);
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
      await sw.clients.claim();
    })(),
  );
});

/** The network's answer (kept in the cache), else the cached copy (a navigation: the shell). */
async function networkFirst(/** @type {Request} */ request, /** @type {boolean} */ navigate) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && response.type === 'basic' && !navigate) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = navigate
      ? ((await cache.match(request, { ignoreSearch: true, ignoreVary: true })) ??
        (await cache.match(scoped('./'), { ignoreVary: true })))
      : await cache.match(request, { ignoreVary: true });
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(/** @type {Request} */ request) {
  // ignoreVary: a module script's request carries an Origin header the install's requests did not
  const cached = await caches.match(request, { ignoreVary: true });
  return cached ?? networkFirst(request, false);
}

sw.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin) return;
  if (request.mode === 'navigate') event.respondWith(networkFirst(request, true));
  else if (url.pathname.includes('/assets/')) event.respondWith(cacheFirst(request));
  else event.respondWith(networkFirst(request, false));
});
