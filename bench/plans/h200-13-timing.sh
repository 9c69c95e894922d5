#!/usr/bin/env bash
# H200 timing, session 13 (issue 12), one call: what each kernel cut buys, and every anchor beside ours.
#   1. the real training step (Trainer, step replay, batches ahead) at paper size, with each cut turned
#      off in turn: `fold` (LayerNorm inside the next linear), `defer` (the linear backwards' reductions
#      run together); a cut that costs GPU time stops being the default;
#   2. dispatches per step and the scan kernel's bandwidth (gpu.ts counts, copy, scan);
#   3. the authors' PyTorch modules with the reference scan, torch.compile and mamba_ssm's CUDA scan.
# Needs .gpu/ (bench/gpu-bundle.sh bench/replay-step.ts bench/gpu.ts; the .mjs files xz'd),
# .anchor/mambaformer-icl (the authors' checkout) and .scanbuild/ (bench/build_selective_scan.py).
set -u
for f in .gpu/*.mjs.xz; do xz -dkf "$f"; done
R="bash .gpu/run.sh"
timeout 230 $R .gpu/replay-step.mjs --sizes paper --without fold,defer --json "$OUT/replay.json" >"$OUT/replay.md" 2>"$OUT/replay.err"
OUT=$OUT timeout 150 $R .gpu/gpu.mjs --sections copy,scan,counts --sizes paper --counts-batch 64 >"$OUT/gpu.log" 2>&1
[ -d .anchor/mambaformer-icl ] && timeout 180 python3 bench/pytorch_authors.py .anchor/mambaformer-icl --scan-build .scanbuild \
  --modes reference,compile,cuda --sizes paper --case-timeout 50 --json >"$OUT/pytorch.log" 2>&1
echo done
