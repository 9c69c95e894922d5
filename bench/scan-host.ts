/**
 * Milliseconds per call of the host selective scan's loops (src/kernels/selective-scan/host.ts),
 * forward and backward, on seeded arrays, at the sizes of one Mamba block of the classroom models:
 * `small` = D 32 (Di 64, N 16, R 2, batch 64, L 22), `preset` = D 64 (Di 128, N 16, R 4, batch 256).
 *
 *   npx tsx bench/scan-host.ts [--size small|preset] [--calls 10] [--rounds 3]
 * Prints the lowest mean of the rounds, also with the forward's decays kept for the backward, and
 * the same forward and backward in WebAssembly SIMD (host-simd.ts, copies in and out included).
 */
import { parseArgs } from 'node:util';
import {
  type ScanArrays,
  type ScanGradArrays,
  scanBackwardHost,
  scanForwardHost,
} from '../src/kernels/selective-scan/host';
import {
  hostScanSimdAvailable,
  scanBackwardSimd,
  scanForwardSimd,
} from '../src/kernels/selective-scan/host-simd';
import type { Dims } from '../src/kernels/selective-scan/shape';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'small' },
    calls: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
  },
});
const [b, di, r] = values.size === 'preset' ? [256, 128, 4] : [64, 64, 2];
const l = 22;
const n = 16;
const s = r + 2 * n;
const dims: Dims = { b, l, di, r, n, s, zw: 2 * di, zOffset: di };
let seed = 1;
const rand = (len: number, scale: number, shift = 0): Float32Array =>
  Float32Array.from({ length: len }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return shift + scale * (seed / 2147483648 - 0.5);
  });
const x: ScanArrays = {
  u: rand(b * l * di, 2),
  xdbl: rand(b * l * s, 2),
  z: rand(b * l * 2 * di, 2),
  dtW: rand(di * r, 1),
  dtBias: rand(di, 1, -3),
  ALog: Float32Array.from({ length: di * n }, (_, i) => Math.log(1 + (i % n))),
  D: rand(di, 1, 1),
};
const dout = rand(b * l * di, 2);
const y = new Float32Array(b * l * di);
const g: ScanGradArrays = {
  du: new Float32Array(b * l * di),
  dxdbl: new Float32Array(b * l * s),
  dz: new Float32Array(b * l * 2 * di),
  dW: new Float32Array(di * r),
  dBias: new Float32Array(di),
  dALog: new Float32Array(di * n),
  dD: new Float32Array(di),
};
const calls = Number(values.calls);
const time = (f: () => void): number => {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < Number(values.rounds); round++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) f();
    best = Math.min(best, (performance.now() - t0) / calls);
  }
  return best;
};
time(() => scanForwardHost(dims, x, y)); // warm-up
const fwd = time(() => scanForwardHost(dims, x, y));
const bwd = time(() => scanBackwardHost(dims, x, dout, g));
const decays = new Float32Array(b * l * di * n);
const fwdKeep = time(() => scanForwardHost(dims, x, y, decays));
const bwdKept = time(() => scanBackwardHost(dims, x, dout, g, decays));
let simd = 'WebAssembly SIMD not available';
if (hostScanSimdAvailable()) {
  time(() => scanForwardSimd(dims, x, y)); // warm-up
  const f = time(() => scanForwardSimd(dims, x, y));
  const bw = time(() => scanBackwardSimd(dims, x, dout, g));
  const per = (ms: number) => ((ms * 1e6) / (b * l * di * n)).toFixed(2);
  simd = `forward ${f.toFixed(2)} ms, backward ${bw.toFixed(2)} ms (${per(f)} / ${per(bw)} ns per (b, t, channel, state)); JS ${per(fwd)} / ${per(bwd)} ns`;
}
let check = 0;
for (const v of y) check += v;
for (const v of g.du) check += v;
for (const v of g.dxdbl) check += v;
console.log(
  `scan ${values.size} (B ${b}, L ${l}, Di ${di}, N ${n}, R ${r}): forward ${fwd.toFixed(1)} ms, backward ${bwd.toFixed(1)} ms; keeping the decays: forward ${fwdKeep.toFixed(1)} ms, backward ${bwdKept.toFixed(1)} ms (checksum ${check.toFixed(4)})`,
);
console.log(`WebAssembly SIMD: ${simd}`);
