import { describe, expect, it } from 'vitest';
import { offlineManifest } from './offline-manifest';

describe('offlineManifest', () => {
  it('lists the build and public files once, sorted, without maps, itself, the worker or test pages', () => {
    const m = offlineManifest([
      'index.html',
      'assets/index-abc.js',
      'assets/index-abc.js.map',
      './assets/tfjs-backend-wasm-simd-1.wasm',
      '/replays/index.json',
      'replays/linear-regression.iclreplay',
      'replays/index.json',
      'offline-manifest.json',
      'sw.js',
      'kernels.html',
      'e2e/pages/kernels.html',
      '',
    ]);
    expect(m.files).toEqual([
      'assets/index-abc.js',
      'assets/tfjs-backend-wasm-simd-1.wasm',
      'index.html',
      'replays/index.json',
      'replays/linear-regression.iclreplay',
    ]);
    expect(m.version).toMatch(/^[0-9a-f]{8}$/);
  });

  it('a new build is a new version; the same files in another order are not', () => {
    const a = offlineManifest(['index.html', 'assets/a-1.js']);
    expect(offlineManifest(['assets/a-1.js', 'index.html']).version).toBe(a.version);
    expect(offlineManifest(['index.html', 'assets/a-2.js']).version).not.toBe(a.version);
  });
});
