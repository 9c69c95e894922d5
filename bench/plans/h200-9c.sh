#!/usr/bin/env bash
# H200, session 9, one call (issues 12 and 11): our paper-size steps (split-rows linear backward, the
# default) on a quiet GPU; then mamba_ssm's CUDA scan built from the authors' csrc beside the two D 64
# recordings of orthogonal outliers (Mamba, MambaFormer, seed 0); then, on a quiet GPU again, the authors'
# PyTorch (eager with the reference scan, and with the CUDA scan) in the same call as ours. Needs .gpu/
# (bench/gpu-bundle.sh src/cli/main.ts bench/gpu.ts) and .anchor/mambaformer-icl. Everything comes back
# in one archive (the device returns at most ~8 files).
set -u
for f in .gpu/*.mjs.xz; do xz -dkf "$f"; done
c=/tmp/c9; mkdir -p "$c/steps" /tmp/s9/rec
OUT=$c/steps timeout 90 bash .gpu/run.sh .gpu/gpu.mjs --sections counts,steps --sizes paper >"$c/gpu-steps.log" 2>&1
(nice python3 bench/build_selective_scan.py .anchor/mambaformer-icl .scanbuild >"$c/scanbuild.log" 2>&1) &
build=$!
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json XDG_RUNTIME_DIR=/tmp
recs=()
for m in mamba mambaformer; do
  (cd .gpu && timeout 140 /tmp/node main.mjs train --task orthogonal-outlier-regression --models $m --seed 0 \
    --steps 4000 --d-model 64 --layers 6 --batch-size 256 --backend webgpu --out /tmp/s9/runs/rec-ortho-$m \
    --record /tmp/s9/rec/orthogonal-outlier-regression-$m/orthogonal-outlier-regression.iclreplay \
    --record-budget 360000) >"$c/rec-ortho-wide-$m-s0.log" 2>&1 &
  recs+=($!)
done
wait "${recs[@]}"
wait $build
timeout 95 python3 bench/pytorch_authors.py .anchor/mambaformer-icl --scan-build .scanbuild --modes reference,cuda \
  --sizes paper --case-timeout 30 --json >"$c/pytorch.log" 2>&1
cp -r /tmp/s9/rec "$c/rec"; mkdir -p "$c/runs" && cp -r /tmp/s9/runs/. "$c/runs/"
(cd /tmp && tar czf "$OUT/c9.tgz" --exclude='*.safetensors' c9)
echo done
