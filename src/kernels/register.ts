/** Registration of every fused kernel (all backends) and its gradient. Idempotent. */
import { registerAttentionKernels } from './attention';
import { registerConvKernels } from './conv';
import { registerConvSiluLinearKernels } from './conv-silu-linear';
import { registerGeluKernels } from './gelu';
import { registerHostKernels } from './host-kernels';
import { registerLayerNormKernels } from './layer-norm';
import { registerLayerNormLinearKernels } from './layer-norm-linear';
import { registerLinearKernels } from './linear';
import { registerLossKernels } from './loss';
import { registerWasmMatMul } from './matmul-wasm';
import { registerS4dKernels } from './s4d';
import { registerWasmSegmentSum } from './segment-sum-wasm';
import { registerSelectiveScanKernels } from './selective-scan/index';

let registered = false;

export function registerAllKernels(): void {
  // the wasm matmul wrappers need the wasm backend's own kernels, which a page loads later
  // (src/workers/backend.ts): every call tries again (a no-op once wrapped or without wasm)
  registerWasmMatMul();
  if (registered) return;
  registered = true;
  registerSelectiveScanKernels();
  registerLayerNormKernels();
  registerAttentionKernels();
  registerConvKernels();
  registerConvSiluLinearKernels();
  registerGeluKernels();
  registerS4dKernels();
  registerLinearKernels();
  registerLayerNormLinearKernels();
  registerLossKernels();
  registerWasmSegmentSum();
  registerHostKernels();
}
