#!/usr/bin/env bash
# H200, session 8 (issues 11 and 12), one call: our paper-size step with the linear backward as tfjs
# matmuls (default) and as one dispatch, on a quiet GPU; then run 8b (many outliers, five processes)
# beside the CUDA scan build; then the authors' PyTorch with mamba_ssm's CUDA scan (the MambaFormer anchor
# that session 7 did not reach). Needs .gpu/ (bench/gpu-bundle.sh src/cli/main.ts bench/gpu.ts) and
# .anchor/mambaformer-icl.
set -u
R="bash .gpu/run.sh"
mkdir -p "$OUT/matmuls" "$OUT/one"
OUT=$OUT/matmuls timeout 90 $R .gpu/gpu.mjs --sections counts,steps --sizes paper >"$OUT/gpu-matmuls.log" 2>&1
OUT=$OUT/one timeout 90 $R .gpu/gpu.mjs --sections counts,steps --sizes paper --linear-one-dispatch >"$OUT/gpu-one.log" 2>&1
(nice python3 bench/build_selective_scan.py .anchor/mambaformer-icl .scanbuild >"$OUT/scanbuild.log" 2>&1) &
build=$!
bash bench/sweep.sh bench/plans/run-8b.txt /tmp/r8b 300 5 >"$OUT/sweep-b.txt" 2>&1
wait $build
timeout 110 python3 bench/pytorch_authors.py .anchor/mambaformer-icl --scan-build .scanbuild --modes cuda \
  --sizes paper --case-timeout 50 --json >"$OUT/pytorch.log" 2>&1
(cd /tmp && tar czf "$OUT/r8b.tgz" --exclude='*.safetensors' --exclude='*.iclreplay' r8b)
mkdir -p "$OUT/rec" && cp -r /tmp/s8/rec/. "$OUT/rec/"
echo done
