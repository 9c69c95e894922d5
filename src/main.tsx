import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { device, experimentStore, followBaselines, race } from './app';
import { replayFromUrl, replayStore } from './app/recordings/replay-player-instance';
import { urlSync } from './app/share/share';
import { App } from './ui/App';
import './ui/styles.css';

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

// This device: the remembered backend choice, then the probe whenever something is unknown.
device.start();
device.follow(
  () => experimentStore.getState().experiment,
  (f) => experimentStore.subscribe(f),
);

// `?replay=<file>`: play that recorded run at once (no training, no TensorFlow.js).
const replay = replayFromUrl();
if (replay !== null) void replayStore.getState().start(replay);

// Closing the page stops the training workers (and frees their GPU memory) at once.
window.addEventListener('pagehide', () => race.dispose());

// A page restored from the back-forward cache has no workers any more: start afresh.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) window.location.reload();
});
