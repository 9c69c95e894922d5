import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { device, experimentStore, followBaselines, liveStore, race } from './app';
import { keepCheckpoints } from './app/race/checkpoint-keeper';
import { isRecordingStatus, replayFromUrl, replayStore } from './app/recordings/replay-player-instance';
import { urlSync } from './app/share/share';
import { App } from './ui/App';
import './ui/styles.css';
import { TEST_HOOKS } from './workers/watchdog';

/** How long the page settles before the device probe (it loads TensorFlow.js in a worker). */
const PROBE_SETTLE_MS = 4000;

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

// A shared link in the fragment: its experiment (and classroom options) before the first render.
urlSync.start();

createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// The baselines of the chosen experiment, computed at once in their worker.
followBaselines();

// This device: the remembered backend choice, then the probe whenever something is unknown. The
// probe loads TensorFlow.js in a worker, so it waits until the page has settled (a few seconds) and
// never runs while a recorded run is watched: a phone that only watches loads no training code.
device.start();
device.follow(
  () => (isRecordingStatus(replayStore.getState().status) ? null : experimentStore.getState().experiment),
  (f) => {
    const a = experimentStore.subscribe(f);
    const b = replayStore.subscribe((s, before) => {
      if (s.status !== before.status) f();
    });
    return () => {
      a();
      b();
    };
  },
  PROBE_SETTLE_MS,
);

// `?replay=<file>`: play that recorded run at once (no training, no TensorFlow.js).
const replay = replayFromUrl();
if (replay !== null) void replayStore.getState().start(replay);

// Fresh checkpoints while training (every few seconds, and when the page is hidden or left), so a
// reload or a closed tab loses little: Resume goes on from them.
keepCheckpoints({
  live: liveStore,
  checkpointNow: () => race.checkpointNow(),
  page: {
    visibilityState: () => document.visibilityState,
    on: (type, fn) => {
      const target = type === 'pagehide' ? window : document;
      target.addEventListener(type, fn);
      return () => target.removeEventListener(type, fn);
    },
  },
});

// Test builds only (ICL_TEST_PAGES=1): e2e/alive.spec.ts makes a training worker hang.
if (TEST_HOOKS) {
  Object.assign(window, {
    iclTest: { hangWorker: (index: number, mode: 'busy' | 'close') => race.testHang(index, mode) },
  });
}

// Closing the page stops the training workers (and frees their GPU memory) at once.
window.addEventListener('pagehide', () => race.dispose());

// Offline: the service worker (public/sw.js) caches the app, its wasm and the recordings, so the
// page reloads without a network and plays a recording. Production builds only.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`).catch(() => undefined);
  });
}

// A page restored from the back-forward cache has no workers any more: start afresh.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) window.location.reload();
});
