#!/usr/bin/env bash
# H200 timing, session 7 (issue 12): our fused step with and without the record cache, the enqueue
# benchmark, and the authors' PyTorch anchors, back to back on one machine.
# Needs .gpu/ (bench/gpu-bundle.sh src/cli/main.ts bench/gpu.ts bench/enqueue.ts), .anchor/mambaformer-icl
# (the authors' checkout) and .scanbuild/ (bench/build_selective_scan.py .anchor/mambaformer-icl .scanbuild).
set -u
R="bash .gpu/run.sh"
mkdir -p "$OUT/cache" "$OUT/nocache"
OUT=$OUT/cache timeout 200 $R .gpu/gpu.mjs --sections counts,steps --sizes paper,classroom >"$OUT/gpu-cache.log" 2>&1
timeout 170 python3 bench/pytorch_authors.py .anchor/mambaformer-icl --scan-build .scanbuild --modes reference,cuda \
  --sizes paper,classroom --case-timeout 60 --json >"$OUT/pytorch.log" 2>&1
for i in 1 2; do
  timeout 40 $R .gpu/enqueue.mjs --batch 64 --steps 40 --no-cache
  timeout 40 $R .gpu/enqueue.mjs --batch 64 --steps 40
done >"$OUT/enqueue.log" 2>&1
OUT=$OUT/nocache timeout 100 $R .gpu/gpu.mjs --sections steps --sizes paper --no-record-cache >"$OUT/gpu-nocache.log" 2>&1
echo done
